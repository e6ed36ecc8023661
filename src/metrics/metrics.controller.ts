import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { Response } from 'express';
import { ROUTES } from '../app.routes';
import { Access } from '../common/decorators/access.decorator';
import { ServiceMetrics, MetricsSummary } from './service-metrics';
import { MetricsSummaryDto } from './metrics-summary.dto';

/** The library's Prometheus endpoint, subclassed only to document it in OpenAPI. */
@ApiTags('metrics')
@Access('metrics')
@Controller()
export class PrometheusMetricsController extends PrometheusController {
  @Get()
  @ApiOperation({ summary: 'Prometheus metrics in text exposition format' })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'All series: anuvaad_* plus default process_* / nodejs_* metrics',
    schema: {
      type: 'string',
      example:
        '# HELP anuvaad_translations_total Texts translated\n# TYPE anuvaad_translations_total counter\nanuvaad_translations_total{model_name="en-hi",model_version="1"} 3\n',
    },
  })
  override index(@Res({ passthrough: true }) response: Response): Promise<string> {
    return super.index(response);
  }
}

@ApiTags('metrics')
@Access('metrics')
@Controller(ROUTES.metrics)
export class MetricsSummaryController {
  constructor(private readonly metrics: ServiceMetrics) {}

  @Get('summary')
  @ApiOperation({
    summary: 'Prediction counts, error rate, uptime and latency percentiles over a sliding window',
  })
  @ApiOkResponse({ type: MetricsSummaryDto })
  summary(): MetricsSummary {
    return this.metrics.summary();
  }
}

import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  MemoryHealthIndicator,
} from '@nestjs/terminus';
import { ROUTES } from '../app.routes';
import { Access } from '../common/decorators/access.decorator';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { ModelHealthIndicator } from '../model/model.health';
import { GracefulShutdown } from '../shutdown/graceful-shutdown.service';
import { HEAP_UP, HealthResponses, MODEL_DOWN, MODEL_UP, RUNTIME_UP } from './health-openapi';

/** terminus's responses name a database and redis: HealthResponses documents these routes. */
const DOCUMENTED_HERE = { noCache: true, swaggerDocumentation: false };

@ApiTags('health')
@Access('probe')
@Controller(ROUTES.health)
export class HealthController {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly health: HealthCheckService,
    private readonly model: ModelHealthIndicator,
    private readonly memory: MemoryHealthIndicator,
    private readonly shutdown: GracefulShutdown,
  ) {}

  @Get()
  @HealthCheck(DOCUMENTED_HERE)
  @HealthResponses({ ...MODEL_UP, ...HEAP_UP }, MODEL_DOWN)
  @ApiOperation({ summary: 'Overall health: model ready and heap below HEALTH_MAX_HEAP_MB' })
  check(): Promise<HealthCheckResult> {
    this.failIfShuttingDown();
    return this.health.check([
      () => this.model.isReady(),
      () => this.memory.checkHeap('memory_heap', this.config.metrics.maxHeapBytes),
    ]);
  }

  @Get('live')
  @HealthCheck(DOCUMENTED_HERE)
  @HealthResponses(RUNTIME_UP, {
    runtime: { status: 'down', reason: 'the onnxruntime worker thread exited (code 1)' },
  })
  @ApiOperation({
    summary:
      'Liveness: the process serves HTTP and its model runtime is alive (200 even while the model loads or has failed to load)',
  })
  live(): Promise<HealthCheckResult> {
    this.failIfShuttingDown();
    return this.health.check([() => this.model.isRuntimeAlive()]);
  }

  @Get('ready')
  @HealthCheck(DOCUMENTED_HERE)
  @HealthResponses(MODEL_UP, MODEL_DOWN)
  @ApiOperation({
    summary:
      'Readiness: model loaded, checksums verified, warm-up succeeded; 503 with the reason otherwise',
  })
  ready(): Promise<HealthCheckResult> {
    this.failIfShuttingDown();
    return this.health.check([() => this.model.isReady()]);
  }

  /** From SIGTERM on every health route answers 503 in terminus's "shutting_down" shape. */
  private failIfShuttingDown(): void {
    const { phase } = this.shutdown;
    if (phase === 'serving') return;
    const shutdown = { status: 'down', phase, inFlight: this.shutdown.inFlightCount };
    throw new ServiceUnavailableException({
      status: 'shutting_down',
      info: {},
      error: { shutdown },
      details: { shutdown },
    });
  }
}

import { ApiProperty } from '@nestjs/swagger';

export class LatencySummaryDto {
  @ApiProperty({
    example: 250,
    description: 'Samples in the window (last METRICS_WINDOW_SIZE predictions)',
  })
  window_size: number;
  @ApiProperty({ example: 8.1, nullable: true, type: Number }) min: number | null;
  @ApiProperty({ example: 14.6, nullable: true, type: Number }) mean: number | null;
  @ApiProperty({ example: 12.9, nullable: true, type: Number }) p50: number | null;
  @ApiProperty({ example: 31.4, nullable: true, type: Number }) p95: number | null;
  @ApiProperty({ example: 48.2, nullable: true, type: Number }) p99: number | null;
  @ApiProperty({ example: 52.0, nullable: true, type: Number }) max: number | null;
}

export class MetricsSummaryDto {
  @ApiProperty({ example: 250, description: 'Successful translate/predict requests' })
  predictions: number;
  @ApiProperty({
    example: 2,
    description:
      'Failed translate/predict requests, 4xx (bad input, no key) and 5xx; clients that left are not counted',
  })
  errors: number;
  @ApiProperty({ example: 0.007937, description: 'errors / (predictions + errors)' })
  error_rate: number;
  @ApiProperty({
    example: 1,
    description:
      'Of the errors, those answered 5xx: the service failed, timed out, was full, not ready or draining',
  })
  server_errors: number;
  @ApiProperty({
    example: 0.003968,
    description: 'server_errors / (predictions + errors): what the error-rate alert watches',
  })
  server_error_rate: number;
  @ApiProperty({ example: 3600.5 }) uptime_seconds: number;
  @ApiProperty({
    type: LatencySummaryDto,
    description:
      'Latency of successful predictions in milliseconds, from the request reaching the translation service to its answer (without the HTTP layers before it: the HTTP histogram on /metrics times the whole request)',
  })
  latency_ms: LatencySummaryDto;
}

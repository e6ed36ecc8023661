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
  @ApiProperty({ example: 2, description: 'Failed translate/predict requests' }) errors: number;
  @ApiProperty({ example: 0.007937, description: 'errors / (predictions + errors)' })
  error_rate: number;
  @ApiProperty({ example: 3600.5 }) uptime_seconds: number;
  @ApiProperty({ type: LatencySummaryDto, description: 'Request latency in milliseconds' })
  latency_ms: LatencySummaryDto;
}

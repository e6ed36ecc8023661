import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE_MODEL } from '../common/openapi-examples';

export class ModelSummaryDto {
  @ApiProperty({ example: EXAMPLE_MODEL.name }) name: string;
  @ApiProperty({
    example: EXAMPLE_MODEL.version,
    nullable: true,
    type: String,
    description: 'Version being served (or loading)',
  })
  version: string | null;
  @ApiProperty({ enum: ['loading', 'ready', 'failed', 'unloaded'], example: 'ready' })
  state: string;
  @ApiPropertyOptional({ example: 'checksum mismatch for onnx/encoder_model.onnx: …' })
  reason?: string;
  @ApiProperty({
    example: [EXAMPLE_MODEL.version],
    description: 'Integer version folders found on disk',
  })
  versions_available: string[];
}

export class ModelListDto {
  @ApiProperty({ type: [ModelSummaryDto] }) models: ModelSummaryDto[];
}

export class ChecksumInfoDto {
  @ApiProperty({ example: true }) verified: boolean;
  @ApiProperty({
    example: {
      'onnx/encoder_model.onnx': '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    },
    description: 'Relative path → sha256 as listed in checksums.sha256 (all verified)',
  })
  files: Record<string, string>;
  @ApiProperty({
    example: [],
    description: 'Files in the package that checksums.sha256 does not list',
  })
  unlisted: string[];
}

export class GenerationDefaultsDto {
  @ApiProperty({ example: 4 }) beam_size: number;
  @ApiProperty({ example: 256 }) max_new_tokens: number;
  @ApiProperty({ example: 1.0 }) length_penalty: number;
  @ApiProperty({
    example: 512,
    description: 'Longest accepted source in tokens; longer sentences are truncated',
  })
  max_source_tokens: number;
  @ApiProperty({ example: 7999 }) decoder_start_token_id: number;
  @ApiProperty({ type: [Number], example: [0] }) eos_token_ids: number[];
  @ApiProperty({ example: 7999 }) pad_token_id: number;
  @ApiProperty({
    type: [String],
    example: [],
    description:
      'generation_config.json settings this decoder does not apply (e.g. forced_eos_token_id=0): ' +
      'outputs can differ from transformers for such a package',
  })
  not_applied: string[];
}

export class LoadFailureDto {
  @ApiProperty({ enum: ['checksum', 'invalid_package', 'session', 'warmup'], example: 'checksum' })
  reason: string;
  @ApiProperty({
    example: 'checksum mismatch for onnx/encoder_model.onnx: expected 9f86…, got 2c26…',
  })
  message: string;
  @ApiProperty({ example: '2026-11-27T06:00:00.000Z' }) at: string;
}

export class VersionStatusDto {
  @ApiProperty({ example: '2' }) version: string;
  @ApiProperty({ enum: ['loading', 'ready', 'failed', 'unloading'], example: 'ready' })
  state: string;
  @ApiPropertyOptional({ example: 'warming up', description: 'Why the version is not ready' })
  reason?: string;
  @ApiProperty({ example: '2026-11-27T06:00:00.000Z' }) since: string;
  @ApiProperty({ example: 0, description: 'Requests running on this version now' })
  in_flight: number;
  @ApiProperty({ example: true, description: 'Requests without a version are served by it' })
  default: boolean;
  @ApiPropertyOptional({ example: 10, description: 'Percent of default traffic (canary)' })
  canary_weight?: number;
  @ApiPropertyOptional({
    type: LoadFailureDto,
    description: 'The last failed load (an older load of the version may still serve)',
  })
  last_failure?: LoadFailureDto;
}

export class CanaryDto {
  @ApiProperty({ example: '2' }) version: string;
  @ApiProperty({ example: 10, description: 'Percent of requests without a version' })
  weight: number;
}

export class ModelDetailDto extends ModelSummaryDto {
  @ApiProperty({ type: [VersionStatusDto], description: 'Every version held, with its state' })
  versions: VersionStatusDto[];
  @ApiProperty({ example: 'latest:1', description: 'Version policy in force' })
  version_policy: string;
  @ApiProperty({
    enum: ['MODEL_VERSION', 'MODEL_VERSION_POLICY', 'version_policy.json'],
    example: 'MODEL_VERSION_POLICY',
  })
  version_policy_source: string;
  @ApiPropertyOptional({ example: 'version_policy.json is not valid JSON: …' })
  version_policy_error?: string;
  @ApiPropertyOptional({ type: CanaryDto }) canary?: CanaryDto;
  @ApiProperty({ example: '2026-11-27T06:00:00.000Z', description: 'When the state last changed' })
  since: string;
  @ApiPropertyOptional({ example: 'models/en-hi/7' }) path?: string;
  @ApiPropertyOptional({ example: 'onnxruntime-node 1.30.0 (cpu)' }) runtime?: string;
  @ApiPropertyOptional({ example: 412.5 }) load_ms?: number;
  @ApiPropertyOptional({ example: 35.2 }) warmup_ms?: number;
  @ApiPropertyOptional({ type: GenerationDefaultsDto }) generation?: GenerationDefaultsDto;
  @ApiPropertyOptional({
    example: { model_type: 'marian', d_model: 256, decoder_layers: 3, vocab_size: 8000 },
    description: 'config.json of the loaded version',
  })
  config?: Record<string, unknown>;
  @ApiPropertyOptional({
    example: { num_beams: 4, max_new_tokens: 256 },
    description: 'generation_config.json',
  })
  generation_config?: Record<string, unknown>;
  @ApiPropertyOptional({
    example: { dev_bleu: 12.3, dev_chrf: 38.1 },
    description: 'metrics.json of the loaded version (free-form)',
  })
  metrics?: Record<string, unknown>;
  @ApiPropertyOptional({ type: ChecksumInfoDto }) checksums?: ChecksumInfoDto;
  @ApiProperty({ example: true }) drift_profile: boolean;
}

/** A model's state after an admin operation. */
export class ModelStatusDto {
  @ApiProperty({ example: EXAMPLE_MODEL.name }) name: string;
  @ApiPropertyOptional({ example: '2', description: 'The default version, once one is known' })
  version?: string;
  @ApiProperty({ enum: ['loading', 'ready', 'failed', 'unloaded'], example: 'ready' })
  state: string;
  @ApiPropertyOptional({ example: 'unloaded through the admin API' }) reason?: string;
  @ApiProperty({ example: '2026-11-27T06:00:00.000Z' }) since: string;
  @ApiPropertyOptional({ type: [VersionStatusDto] }) versions?: VersionStatusDto[];
}

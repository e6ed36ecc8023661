import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { EXAMPLE_MODEL } from '../../common/openapi-examples';

/** Swagger shapes of the Open Inference Protocol (validation is in inference-protocol.ts). */
export class V2ServerMetadataDto {
  @ApiProperty({ example: 'anuvaad' }) name: string;
  @ApiProperty({ example: '0.1.0' }) version: string;
  @ApiProperty({ example: [], type: [String] }) extensions: string[];
}

export class V2LiveDto {
  @ApiProperty({ example: true }) live: boolean;
}

export class V2ReadyDto {
  @ApiProperty({ example: true }) ready: boolean;
}

export class V2ModelReadyDto {
  @ApiProperty({ example: EXAMPLE_MODEL.name }) name: string;
  @ApiProperty({ example: true }) ready: boolean;
}

export class V2MetadataTensorDto {
  @ApiProperty({ example: 'text' }) name: string;
  @ApiProperty({ example: 'BYTES' }) datatype: string;
  @ApiProperty({ example: [-1], type: [Number], description: '-1: any number of texts' })
  shape: number[];
}

export class V2ModelMetadataDto {
  @ApiProperty({ example: EXAMPLE_MODEL.name }) name: string;
  @ApiProperty({ example: [EXAMPLE_MODEL.version], type: [String], description: 'Ready versions' })
  versions: string[];
  @ApiProperty({ example: 'onnxruntime_onnx' }) platform: string;
  @ApiProperty({ type: [V2MetadataTensorDto] }) inputs: V2MetadataTensorDto[];
  @ApiProperty({ type: [V2MetadataTensorDto] }) outputs: V2MetadataTensorDto[];
}

export class V2TensorDto {
  @ApiProperty({ example: 'text' }) name: string;
  @ApiProperty({ example: 'BYTES' }) datatype: string;
  @ApiProperty({ example: [2], type: [Number] }) shape: number[];
  @ApiProperty({ example: ['Hello.', 'Good night.'], type: [String] }) data: string[];
}

export class V2RequestedOutputDto {
  @ApiProperty({ example: 'translation', description: 'The only output: "translation"' })
  name: string;
  @ApiPropertyOptional({ example: {}, description: 'binary_data is not supported' })
  parameters?: Record<string, unknown>;
}

export class V2InferenceRequestDto {
  @ApiPropertyOptional({ example: 'req-42', description: 'Echoed in the response' }) id?: string;
  @ApiPropertyOptional({
    example: { beam_size: 4, max_new_tokens: 64 },
    description: 'beam_size (1–8) and max_new_tokens (1–512)',
  })
  parameters?: Record<string, unknown>;
  @ApiProperty({ type: [V2TensorDto], description: 'Exactly one BYTES tensor named "text"' })
  inputs: V2TensorDto[];
  @ApiPropertyOptional({
    type: [V2RequestedOutputDto],
    example: [{ name: 'translation' }],
    description: 'Outputs to return, as objects; leave out for all (there is one)',
  })
  outputs?: V2RequestedOutputDto[];
}

export class V2InferenceResponseDto {
  @ApiProperty({ example: EXAMPLE_MODEL.name }) model_name: string;
  @ApiProperty({ example: EXAMPLE_MODEL.version }) model_version: string;
  @ApiPropertyOptional({ example: 'req-42' }) id?: string;
  @ApiPropertyOptional({
    example: { truncated_texts: 1 },
    description:
      'Only when some translations are incomplete: truncated_texts counts the texts whose source ' +
      'was longer than the model reads or whose output reached max_new_tokens',
  })
  parameters?: { truncated_texts: number };
  @ApiProperty({
    type: [V2TensorDto],
    example: [{ name: 'translation', datatype: 'BYTES', shape: [2], data: ['नमस्ते।', 'शुभ रात्रि।'] }],
  })
  outputs: V2TensorDto[];
}

export class V2ErrorDto {
  @ApiProperty({ example: 'model "en-de" is not served here; available: "en-hi"' })
  error: string;
}

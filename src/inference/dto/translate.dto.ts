import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Matches, Max, Min } from 'class-validator';
import { MAX_BEAM_SIZE, MAX_NEW_TOKENS_CAP } from '../generation-settings';
import { IsNotBlank, IsTextInput } from './is-text-input.validator';
import { EXAMPLE_MODEL } from '../../common/openapi-examples';

export class TranslateRequestDto {
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    example: ['Hello.', 'Good night.'],
    description:
      'One English text or a list. Each text is split into sentences and all sentences are ' +
      'translated as one batch. Limits: MAX_TEXTS_PER_REQUEST texts, MAX_CHARS_PER_TEXT characters each.',
  })
  @IsTextInput()
  text: string | string[];

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_BEAM_SIZE,
    example: 1,
    description: '1 = greedy; default from the model generation_config.json (num_beams)',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_BEAM_SIZE)
  beam_size?: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_NEW_TOKENS_CAP,
    example: 64,
    description: 'Generated tokens per sentence; default from generation_config.json',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_NEW_TOKENS_CAP)
  max_new_tokens?: number;

  @ApiPropertyOptional({
    example: EXAMPLE_MODEL.name,
    description: 'A model of the repository; default MODEL_NAME',
  })
  @IsOptional()
  @IsString()
  @Matches(/\S/, { message: 'model must not be empty (leave it out for the default model)' })
  model?: string;

  @ApiPropertyOptional({
    example: EXAMPLE_MODEL.version,
    description:
      'A loaded version of the model; default: the newest ready one (or MODEL_VERSION), or the canary by its weight',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d+$/, { message: 'version must be an integer version such as "1"' })
  version?: string;
}

export class ModelRefDto {
  @ApiProperty({ example: EXAMPLE_MODEL.name }) name: string;
  @ApiProperty({ example: EXAMPLE_MODEL.version }) version: string;
}

export class TranslateResponseDto {
  @ApiProperty({
    example: ['नमस्ते।', 'शुभ रात्रि।'],
    description: 'One translation per input text, in order',
  })
  translations: string[];
  @ApiProperty({
    type: [Boolean],
    example: [false, false],
    description:
      'Per text: true when its translation is incomplete, because a sentence was longer than the ' +
      'model reads (max_source_tokens in /v1/models/{name}; its end was left out) or its output ' +
      'reached max_new_tokens before the sentence ended (ask for more, or split the text)',
  })
  truncated: boolean[];
  @ApiProperty({ type: ModelRefDto }) model: ModelRefDto;
  @ApiProperty({ example: 12.3 }) latency_ms: number;
}

export class PredictRequestDto {
  @ApiProperty({ example: 'hello world', description: 'One English text' })
  @IsString({ message: 'text must be a string (one text; /v1/translate takes a list)' })
  @IsNotBlank()
  text: string;
}

export class PredictResponseDto {
  @ApiProperty({ example: 'नमस्ते दुनिया' }) translation: string;
  @ApiProperty({
    example: false,
    description: 'True when the translation is incomplete (see truncated in /v1/translate)',
  })
  truncated: boolean;
  @ApiProperty({ example: EXAMPLE_MODEL.version }) model_version: string;
  @ApiProperty({ example: 11.8 }) latency_ms: number;
}

import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_REASONS } from './api-errors';

export class FieldProblemDto {
  @ApiProperty({ example: 'beam_size' }) field: string;
  @ApiProperty({ example: 'max', description: 'The class-validator rule that failed' })
  rule: string;
  @ApiProperty({ example: 'beam_size must not be greater than 8' }) message: string;
}

/** The body of every error response. */
export class ErrorResponseDto {
  @ApiProperty({ example: 400 }) statusCode: number;
  @ApiProperty({ example: 'Bad Request' }) error: string;
  @ApiProperty({
    example: 'validation_failed',
    enum: ERROR_REASONS,
  })
  reason: string;
  @ApiProperty({ example: 'beam_size must not be greater than 8' }) message: string;
  @ApiPropertyOptional({ type: [FieldProblemDto] }) details?: FieldProblemDto[];
  @ApiProperty({ example: '0f8fad5b-d9cb-469f-a165-70867728950e' }) request_id: string;
}

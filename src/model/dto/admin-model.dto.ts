import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';

export class AdminModelRequestDto {
  @ApiPropertyOptional({
    example: '2',
    description:
      'One version folder; without it the whole model (rescan on load, all versions on unload)',
  })
  @IsOptional()
  @IsString()
  @Matches(/^\d+$/, { message: 'version must be an integer version such as "2"' })
  version?: string;
}

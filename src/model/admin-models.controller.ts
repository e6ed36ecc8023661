import { Body, Controller, HttpCode, HttpStatus, Param, Post, UseGuards } from '@nestjs/common';
import {
  ApiBody,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { ROUTES } from '../app.routes';
import { Access } from '../common/decorators/access.decorator';
import { ErrorResponseDto } from '../common/error-response.dto';
import { AdminTokenGuard } from './admin-token.guard';
import { AdminModelRequestDto } from './dto/admin-model.dto';
import { ModelStatusDto } from './model-info.dto';
import { ModelService } from './model.service';
import { EXAMPLE_MODEL } from '../common/openapi-examples';

/** Load and unload model versions at run time (off unless ADMIN_TOKEN is set). */
@ApiTags('admin')
@Access('admin')
@Controller(ROUTES.adminModels)
@UseGuards(AdminTokenGuard)
@ApiForbiddenResponse({
  type: ErrorResponseDto,
  description: 'ADMIN_TOKEN is not set: the admin API is off',
})
@ApiUnauthorizedResponse({ type: ErrorResponseDto, description: 'Missing or wrong bearer token' })
@ApiNotFoundResponse({ type: ErrorResponseDto, description: 'No such model or version' })
export class AdminModelsController {
  constructor(private readonly models: ModelService) {}

  @Post(':name/load')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Load a version (verified and warmed up before it takes traffic; kept loaded whatever the ' +
      'policy) or, without one, rescan the model and retry failed versions',
  })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiBody({ type: AdminModelRequestDto, required: false })
  @ApiOkResponse({ type: ModelStatusDto })
  @ApiUnprocessableEntityResponse({
    type: ErrorResponseDto,
    description: 'The version failed to load; what served before keeps serving',
  })
  load(@Param('name') name: string, @Body() body: AdminModelRequestDto): Promise<ModelStatusDto> {
    return this.models.loadModel(name, body?.version);
  }

  @Post(':name/unload')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Unload a version (or, without one, the whole model) until loaded again; answers once ' +
      'running requests finished and its sessions are released',
  })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiBody({ type: AdminModelRequestDto, required: false })
  @ApiOkResponse({ type: ModelStatusDto })
  unload(@Param('name') name: string, @Body() body: AdminModelRequestDto): Promise<ModelStatusDto> {
    return this.models.unloadModel(name, body?.version);
  }
}

import {
  All,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpStatus,
  Inject,
  NotFoundException,
  Param,
  Post,
  Req,
  Res,
  UseFilters,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiExcludeEndpoint,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ROUTES, V2_ROUTES } from '../../app.routes';
import { modelNotFound } from '../../common/api-errors';
import { Access } from '../../common/decorators/access.decorator';
import { RequestId } from '../../common/decorators/request-id.decorator';
import { RequestSignal } from '../../common/decorators/request-signal.decorator';
import { setServedModelHeaders } from '../../logging/served-model';
import { ModelHealthIndicator } from '../../model/model.health';
import { ModelService } from '../../model/model.service';
import { GracefulShutdown } from '../../shutdown/graceful-shutdown.service';
import { TextsNaming, TranslationService } from '../translation.service';
import { markRouteUnmatched } from '../../metrics/http-metrics.middleware';
import {
  parseInferenceRequest,
  V2_INPUT,
  V2_OUTPUT,
  V2_PLATFORM,
  V2InferenceResponse,
} from './inference-protocol';
import { OpenInferenceExceptionFilter } from './open-inference-exception.filter';
import {
  V2ErrorDto,
  V2InferenceRequestDto,
  V2InferenceResponseDto,
  V2LiveDto,
  V2ModelMetadataDto,
  V2ModelReadyDto,
  V2ReadyDto,
  V2ServerMetadataDto,
} from './open-inference.dto';
import { SERVER_INFO, ServerInfo } from './server-info';
import { EXAMPLE_MODEL } from '../../common/openapi-examples';

/** The texts of an inference request: the elements of its one input tensor. */
const V2_TEXTS: TextsNaming = {
  all: `input "${V2_INPUT}"`,
  unit: 'elements',
  one: (i) => `element ${i} of input "${V2_INPUT}"`,
};

const INFER_EXAMPLES = {
  texts: {
    summary: 'Two texts',
    value: {
      id: 'req-42',
      inputs: [{ name: V2_INPUT, datatype: 'BYTES', shape: [2], data: ['Hello.', 'Good night.'] }],
    },
  },
  beam: {
    summary: 'Beam search with a token cap',
    value: {
      parameters: { beam_size: 4, max_new_tokens: 64 },
      inputs: [{ name: V2_INPUT, datatype: 'BYTES', shape: [1], data: ['How are you?'] }],
      outputs: [{ name: V2_OUTPUT }],
    },
  },
};

const errorResponse = { type: V2ErrorDto };

/**
 * The Open Inference Protocol (KServe V2) over REST: server and model health and metadata,
 * and inference with BYTES tensors of texts. Errors are `{"error": "…"}` with a 4xx/5xx status.
 */
@ApiTags('open inference protocol (v2)')
@Controller(ROUTES.v2)
@UseFilters(OpenInferenceExceptionFilter)
export class OpenInferenceController {
  constructor(
    @Inject(SERVER_INFO) private readonly server: ServerInfo,
    private readonly models: ModelService,
    private readonly translation: TranslationService,
    private readonly shutdown: GracefulShutdown,
    private readonly modelHealth: ModelHealthIndicator,
  ) {}

  @Get()
  @ApiOperation({ summary: 'V2 server metadata: name, version, extensions' })
  @ApiOkResponse({ type: V2ServerMetadataDto })
  metadata(): V2ServerMetadataDto {
    return { name: this.server.name, version: this.server.version, extensions: [] };
  }

  @Get(`${V2_ROUTES.health}/live`)
  @Access('probe')
  @ApiOperation({
    summary:
      'V2 server live: 200 while the process serves HTTP and its model runtime is alive (as /health/live); 400 (live: false) when the runtime died and from SIGTERM on',
  })
  @ApiOkResponse({ type: V2LiveDto })
  @ApiBadRequestResponse({ type: V2LiveDto, description: 'The model runtime died, or draining' })
  live(@Res({ passthrough: true }) res: Response): V2LiveDto {
    const live =
      this.shutdown.phase === 'serving' &&
      this.modelHealth.isRuntimeAlive().runtime.status === 'up';
    if (!live) res.status(HttpStatus.BAD_REQUEST);
    return { live };
  }

  @Get(`${V2_ROUTES.health}/ready`)
  @Access('probe')
  @ApiOperation({
    summary:
      'V2 server ready: 200 when every model has a ready version (other than models unloaded on purpose), else 400 (ready: false); not ready from SIGTERM on',
  })
  @ApiOkResponse({ type: V2ReadyDto })
  @ApiBadRequestResponse({ type: V2ReadyDto, description: 'Some model is not ready' })
  ready(@Res({ passthrough: true }) res: Response): V2ReadyDto {
    // A model unloaded through the admin API (or left out by its version policy) is not
    // expected to serve: it does not take the replica out. The default model always counts.
    const serving = (name: string) => {
      const { state } = this.models.statusOf(name);
      return state === 'ready' || (state === 'unloaded' && name !== this.models.modelName);
    };
    const ready = this.shutdown.phase === 'serving' && this.models.modelNames.every(serving);
    if (!ready) res.status(HttpStatus.BAD_REQUEST);
    return { ready };
  }

  @Get(V2_ROUTES.model)
  @ApiOperation({
    summary: 'V2 model metadata: ready versions, platform, input and output tensors',
  })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiOkResponse({ type: V2ModelMetadataDto })
  @ApiNotFoundResponse(errorResponse)
  modelMetadata(@Param('name') name: string): V2ModelMetadataDto {
    return this.describe(name);
  }

  @Get(V2_ROUTES.version)
  @ApiOperation({ summary: 'V2 model metadata of one version' })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiParam({ name: 'version', example: EXAMPLE_MODEL.version })
  @ApiOkResponse({ type: V2ModelMetadataDto })
  @ApiNotFoundResponse(errorResponse)
  versionMetadata(
    @Param('name') name: string,
    @Param('version') version: string,
  ): V2ModelMetadataDto {
    return this.describe(name, version);
  }

  @Get(`${V2_ROUTES.model}/ready`)
  @ApiOperation({
    summary:
      'V2 model ready: 200 when a version is ready, else 400 (ready: false); not ready from SIGTERM on',
  })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiOkResponse({ type: V2ModelReadyDto })
  @ApiBadRequestResponse({ type: V2ModelReadyDto, description: 'Known but not ready' })
  @ApiNotFoundResponse(errorResponse)
  modelReady(
    @Param('name') name: string,
    @Res({ passthrough: true }) res: Response,
  ): V2ModelReadyDto {
    this.knownModel(name);
    // from SIGTERM on, like the server's readiness: balancers watching a model stop routing
    const ready = this.shutdown.phase === 'serving' && this.models.statusOf(name).state === 'ready';
    if (!ready) res.status(HttpStatus.BAD_REQUEST);
    return { name, ready };
  }

  @Get(`${V2_ROUTES.version}/ready`)
  @ApiOperation({ summary: 'V2 model version ready; not ready from SIGTERM on' })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiParam({ name: 'version', example: EXAMPLE_MODEL.version })
  @ApiOkResponse({ type: V2ModelReadyDto })
  @ApiBadRequestResponse({ type: V2ModelReadyDto, description: 'Known but not ready' })
  @ApiNotFoundResponse(errorResponse)
  versionReady(
    @Param('name') name: string,
    @Param('version') version: string,
    @Res({ passthrough: true }) res: Response,
  ): V2ModelReadyDto {
    this.knownModel(name);
    const status = this.models.statusOf(name);
    const held = status.versions?.find((v) => v.version === version);
    // before the first repository scan the default model has no entry yet: not ready (400)
    const scanned = status.versions !== undefined;
    if (scanned && !held && !this.models.view(name).onDisk.includes(version)) {
      throw this.unknownVersion(name, version);
    }
    const ready = this.shutdown.phase === 'serving' && held?.state === 'ready';
    if (!ready) res.status(HttpStatus.BAD_REQUEST);
    return { name, ready };
  }

  @Post(V2_ROUTES.modelInfer)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'V2 inference: a BYTES tensor "text" in, a BYTES tensor "translation" out',
  })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiBody({ type: V2InferenceRequestDto, examples: INFER_EXAMPLES })
  @ApiOkResponse({ type: V2InferenceResponseDto })
  @ApiBadRequestResponse(errorResponse)
  @ApiNotFoundResponse(errorResponse)
  @ApiServiceUnavailableResponse(errorResponse)
  infer(
    @Param('name') name: string,
    @Body() body: unknown,
    @RequestId() requestId: string,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<V2InferenceResponse> {
    return this.runInference(name, undefined, body, requestId, signal, res);
  }

  @Post(V2_ROUTES.versionInfer)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'V2 inference on one version' })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiParam({ name: 'version', example: EXAMPLE_MODEL.version })
  @ApiBody({ type: V2InferenceRequestDto, examples: INFER_EXAMPLES })
  @ApiOkResponse({ type: V2InferenceResponseDto })
  @ApiBadRequestResponse(errorResponse)
  @ApiNotFoundResponse(errorResponse)
  @ApiServiceUnavailableResponse(errorResponse)
  inferVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @RequestId() requestId: string,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<V2InferenceResponse> {
    return this.runInference(name, version, body, requestId, signal, res);
  }

  /**
   * Any other path or method under /v2 (declared last, so every route above matches first):
   * a 404 in the protocol's error shape rather than the service's. Open like an unmatched
   * route, which no guard sees either.
   */
  @All(['/', '*path'])
  @Access('probe')
  @ApiExcludeEndpoint()
  unknownRoute(@Req() req: Request): never {
    // `/` has no wildcard, so its label would be the real /v2 metadata route's
    markRouteUnmatched(req);
    throw new NotFoundException(`no Open Inference Protocol route ${req.method} ${req.path}`);
  }

  private async runInference(
    name: string,
    version: string | undefined,
    body: unknown,
    requestId: string,
    signal: AbortSignal,
    res: Response,
  ): Promise<V2InferenceResponse> {
    const request = parseInferenceRequest(body);
    const outcome = await this.translation.translate(
      {
        texts: request.texts,
        naming: V2_TEXTS,
        beamSize: request.beamSize,
        maxNewTokens: request.maxNewTokens,
        model: name,
        version,
      },
      {
        requestId,
        endpoint: `/${ROUTES.v2}/${version === undefined ? V2_ROUTES.modelInfer : V2_ROUTES.versionInfer}`,
        signal,
      },
    );
    setServedModelHeaders(res, outcome.model);
    // V2 parameters are scalars: the count here, which texts in /v1/translate's `truncated`
    const truncatedTexts = outcome.truncated.filter(Boolean).length;
    return {
      model_name: outcome.model.name,
      model_version: outcome.model.version,
      ...(request.id !== undefined ? { id: request.id } : {}),
      ...(truncatedTexts > 0 ? { parameters: { truncated_texts: truncatedTexts } } : {}),
      outputs: [
        { name: V2_OUTPUT, datatype: 'BYTES', shape: request.shape, data: outcome.translations },
      ],
    };
  }

  private describe(name: string, version?: string): V2ModelMetadataDto {
    const view = this.models.view(name);
    const ready = (view.status.versions ?? [])
      .filter((v) => v.state === 'ready')
      .map((v) => v.version);
    if (version !== undefined && !ready.includes(version)) {
      throw this.unknownVersion(name, version);
    }
    return {
      name,
      versions: version !== undefined ? [version] : ready,
      platform: V2_PLATFORM,
      inputs: [{ name: V2_INPUT, datatype: 'BYTES', shape: [-1] }],
      outputs: [{ name: V2_OUTPUT, datatype: 'BYTES', shape: [-1] }],
    };
  }

  /**
   * 404 for a model the repository does not hold. The default model counts as known before
   * the first scan, so its ready routes answer 400 (ready: false) rather than 503.
   */
  private knownModel(name: string): void {
    if (!this.models.modelNames.includes(name)) this.models.view(name);
  }

  private unknownVersion(name: string, version: string) {
    return modelNotFound(`version "${version}" of model "${name}" is not loaded`);
  }
}

import { Body, Controller, HttpCode, HttpStatus, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiGatewayTimeoutResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Response } from 'express';
import { ROUTES } from '../app.routes';
import { validationFailed } from '../common/api-errors';
import { RequestId } from '../common/decorators/request-id.decorator';
import { RequestSignal } from '../common/decorators/request-signal.decorator';
import { ERROR_RESPONSES } from '../common/error-examples';
import { setServedModelHeaders } from '../logging/served-model';
import {
  PredictRequestDto,
  PredictResponseDto,
  TranslateRequestDto,
  TranslateResponseDto,
} from './dto/translate.dto';
import { SINGLE_TEXT, TEXT_LIST, TranslationService } from './translation.service';
import { EXAMPLE_MODEL } from '../common/openapi-examples';

@ApiTags('translation')
@Controller()
export class TranslationController {
  constructor(private readonly translation: TranslationService) {}

  @Post(ROUTES.translate)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Translate English text(s) to Hindi' })
  @ApiBody({
    type: TranslateRequestDto,
    examples: {
      single: { summary: 'One text', value: { text: 'Hello' } },
      batch: { summary: 'Several texts', value: { text: ['Hello', 'Good night'] } },
      beam: {
        summary: 'Beam search with a token cap',
        value: { text: 'How are you? I am fine.', beam_size: 4, max_new_tokens: 64 },
      },
    },
  })
  @ApiOkResponse({ type: TranslateResponseDto })
  @ApiBadRequestResponse(ERROR_RESPONSES.badRequest)
  @ApiNotFoundResponse(ERROR_RESPONSES.notFound)
  @ApiPayloadTooLargeResponse(ERROR_RESPONSES.payloadTooLarge)
  @ApiServiceUnavailableResponse(ERROR_RESPONSES.notReady)
  @ApiGatewayTimeoutResponse(ERROR_RESPONSES.deadline)
  async translate(
    @Body() body: TranslateRequestDto,
    @RequestId() requestId: string,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TranslateResponseDto> {
    return this.translateBody(body, body.model, body.version, res, {
      requestId,
      endpoint: `/${ROUTES.translate}`,
      signal,
    });
  }

  @Post(ROUTES.versionTranslate)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Translate with one version of one model (bypasses any canary split)' })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiParam({ name: 'version', example: EXAMPLE_MODEL.version })
  @ApiBody({
    type: TranslateRequestDto,
    examples: { single: { summary: 'One text', value: { text: 'Hello' } } },
  })
  @ApiOkResponse({ type: TranslateResponseDto })
  @ApiBadRequestResponse(ERROR_RESPONSES.badRequest)
  @ApiNotFoundResponse(ERROR_RESPONSES.notFound)
  @ApiPayloadTooLargeResponse(ERROR_RESPONSES.payloadTooLarge)
  @ApiServiceUnavailableResponse(ERROR_RESPONSES.notReady)
  @ApiGatewayTimeoutResponse(ERROR_RESPONSES.deadline)
  async translateVersion(
    @Param('name') name: string,
    @Param('version') version: string,
    @Body() body: TranslateRequestDto,
    @RequestId() requestId: string,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<TranslateResponseDto> {
    const conflicts = (
      [
        ['model', body.model, name],
        ['version', body.version, version],
      ] as const
    ).filter(([, given, fromPath]) => given !== undefined && given !== fromPath);
    if (conflicts.length > 0) {
      throw validationFailed(
        conflicts.map(([field, given, fromPath]) => ({
          field,
          rule: 'matchesPath',
          message: `${field} "${given}" differs from the path's "${fromPath}"`,
        })),
      );
    }
    return this.translateBody(body, name, version, res, {
      requestId,
      endpoint: `/${ROUTES.versionTranslate}`,
      signal,
    });
  }

  /** The shared body of both translate routes: translate, label the served model, answer. */
  private async translateBody(
    body: TranslateRequestDto,
    model: string | undefined,
    version: string | undefined,
    res: Response,
    context: { requestId: string; endpoint: string; signal: AbortSignal },
  ): Promise<TranslateResponseDto> {
    const outcome = await this.translation.translate(
      {
        texts: Array.isArray(body.text) ? body.text : [body.text],
        naming: Array.isArray(body.text) ? TEXT_LIST : SINGLE_TEXT,
        beamSize: body.beam_size,
        maxNewTokens: body.max_new_tokens,
        model,
        version,
      },
      context,
    );
    setServedModelHeaders(res, outcome.model);
    return {
      translations: outcome.translations,
      truncated: outcome.truncated,
      model: outcome.model,
      latency_ms: outcome.latencyMs,
    };
  }

  @Post(ROUTES.predict)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Translate one text (compatible with the original Python service)',
  })
  @ApiBody({ type: PredictRequestDto, examples: { hello: { value: { text: 'hello world' } } } })
  @ApiOkResponse({ type: PredictResponseDto })
  @ApiBadRequestResponse(ERROR_RESPONSES.predictBadRequest)
  @ApiPayloadTooLargeResponse(ERROR_RESPONSES.payloadTooLarge)
  @ApiServiceUnavailableResponse(ERROR_RESPONSES.notReady)
  @ApiGatewayTimeoutResponse(ERROR_RESPONSES.deadline)
  async predict(
    @Body() body: PredictRequestDto,
    @RequestId() requestId: string,
    @RequestSignal() signal: AbortSignal,
    @Res({ passthrough: true }) res: Response,
  ): Promise<PredictResponseDto> {
    const outcome = await this.translation.translate(
      { texts: [body.text], naming: SINGLE_TEXT },
      { requestId, endpoint: `/${ROUTES.predict}`, signal },
    );
    setServedModelHeaders(res, outcome.model);
    return {
      translation: outcome.translations[0],
      truncated: outcome.truncated[0],
      model_version: outcome.model.version,
      latency_ms: outcome.latencyMs,
    };
  }
}

import { Controller, Get, Inject, Param } from '@nestjs/common';
import {
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
} from '@nestjs/swagger';
import { ROUTES } from '../app.routes';
import { ERROR_RESPONSES } from '../common/error-examples';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { servedDefaultMaxNewTokens } from '../inference/generation-settings';
import { ErrorResponseDto } from '../common/error-response.dto';
import { ModelDetailDto, ModelListDto, ModelSummaryDto } from './model-info.dto';
import { MODEL_RUNTIME, ModelRuntime } from './model-runtime.port';
import { ModelService } from './model.service';
import { EXAMPLE_MODEL } from '../common/openapi-examples';
import { redactInternals } from '../common/security/redact-internals';

@ApiTags('models')
@Controller(ROUTES.models)
export class ModelsController {
  constructor(
    private readonly models: ModelService,
    @Inject(MODEL_RUNTIME) private readonly runtime: ModelRuntime,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Served models with their state and the versions found on disk' })
  @ApiOkResponse({ type: ModelListDto })
  async list(): Promise<ModelListDto> {
    return { models: await Promise.all(this.models.modelNames.map((n) => this.summary(n))) };
  }

  @Get(':name')
  @ApiOperation({
    summary:
      'One model: per-version state (with load failures), policy, canary, and for the default ' +
      'version its config, generation defaults, metrics.json and checksums',
  })
  @ApiParam({ name: 'name', example: EXAMPLE_MODEL.name })
  @ApiOkResponse({ type: ModelDetailDto })
  @ApiNotFoundResponse({
    type: ErrorResponseDto,
    description: 'No model of that name is served',
    examples: { model: ERROR_RESPONSES.notFound.examples.model },
  })
  async detail(@Param('name') name: string): Promise<ModelDetailDto> {
    const view = this.models.view(name);
    const summary = await this.summary(name);
    const lifecycle = {
      versions: view.status.versions ?? [],
      version_policy: view.policy,
      version_policy_source: view.policySource,
      ...(view.policyError ? { version_policy_error: view.policyError } : {}),
      ...(view.canary ? { canary: view.canary } : {}),
      since: view.status.since,
    };
    const loaded = view.defaultModel;
    if (!loaded) return { ...summary, ...lifecycle, drift_profile: false };
    const s = loaded.translator.settings;
    return {
      ...summary,
      ...lifecycle,
      // as error messages show paths: relative ones whole, absolute ones by their last segment
      path: redactInternals(loaded.dir),
      runtime: this.runtime.description,
      load_ms: round(loaded.loadMs),
      warmup_ms: round(loaded.warmupMs),
      generation: {
        beam_size: s.defaultBeamSize,
        // what a request without max_new_tokens gets
        max_new_tokens: servedDefaultMaxNewTokens(s, this.config.limits.maxNewTokens),
        length_penalty: s.lengthPenalty,
        max_source_tokens: s.maxSourceTokens,
        decoder_start_token_id: s.decoderStartTokenId,
        eos_token_ids: s.eosTokenIds,
        pad_token_id: s.padTokenId,
        not_applied: s.ignored,
      },
      config: loaded.translator.config,
      generation_config: loaded.translator.generationConfig,
      metrics: loaded.metrics,
      checksums: loaded.checksums
        ? { verified: true, files: loaded.checksums.files, unlisted: loaded.checksums.unlisted }
        : { verified: false, files: {}, unlisted: [] },
      drift_profile: loaded.driftProfile !== undefined,
    };
  }

  private async summary(name: string): Promise<ModelSummaryDto> {
    const { version, state, reason } = this.models.statusOf(name);
    return {
      name,
      version: version ?? null,
      state,
      ...(reason ? { reason } : {}),
      versions_available: await this.models.availableVersions(name),
    };
  }
}

const round = (v: number) => Math.round(v * 10) / 10;

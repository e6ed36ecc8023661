import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ROUTES } from '../app.routes';
import { DriftReport, DriftService } from './drift.service';
import { EXAMPLE_MODEL } from '../common/openapi-examples';

const EXAMPLE: DriftReport = {
  model: { name: EXAMPLE_MODEL.name, version: EXAMPLE_MODEL.version },
  status: 'ok',
  score: 0.041,
  threshold: 0.2,
  window: { samples: 500, capacity: 500, min_samples: 200 },
  signals: { token_length_psi: 0.041, non_latin_share_psi: 0.002, unknown_token_rate_psi: 0.0004 },
  live: {
    token_length: [0.01, 0.2, 0.3, 0.2, 0.15, 0.1, 0.04, 0, 0, 0, 0],
    non_latin_share: { mean: 0.01, proportions: [0.99, 0.01, 0, 0, 0, 0, 0, 0, 0, 0] },
    unknown_token_rate: 0.001,
  },
  reference: {
    n_texts: 100000,
    token_length: {
      bin_edges: [0, 4, 8, 12, 16, 24, 32, 48, 64, 96, 128],
      proportions: [0.02, 0.22, 0.28, 0.2, 0.15, 0.09, 0.04, 0, 0, 0, 0],
    },
    non_latin_share: {
      mean: 0.005,
      bin_edges: [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
      proportions: [0.995, 0.005, 0, 0, 0, 0, 0, 0, 0, 0],
    },
    unknown_token_rate: 0.0008,
  },
};

@ApiTags('monitoring')
@Controller(ROUTES.drift)
export class DriftController {
  constructor(private readonly drift: DriftService) {}

  @Get()
  @ApiOperation({
    summary: 'Input drift report',
    description:
      'PSI of the last DRIFT_WINDOW_SIZE request texts against the model package drift_profile.json ' +
      '(token length, non-Latin letter share, unknown-token rate). status is "drift" when the score ' +
      'exceeds DRIFT_THRESHOLD, "insufficient_data" below DRIFT_MIN_SAMPLES texts, "no_profile" when ' +
      'the model ships no profile or is not loaded.',
  })
  @ApiOkResponse({ description: 'Drift report', schema: { type: 'object', example: EXAMPLE } })
  report(): DriftReport {
    return this.drift.report();
  }
}

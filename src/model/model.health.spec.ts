import { Test } from '@nestjs/testing';
import { HealthIndicatorService } from '@nestjs/terminus';
import { ModelRuntimeHealth } from './model-runtime-health';
import { MODEL_RUNTIME } from './model-runtime.port';
import { ModelHealthIndicator } from './model.health';
import { ModelService, ModelStatus } from './model.service';

describe('ModelHealthIndicator', () => {
  async function indicatorFor(status: ModelStatus) {
    const moduleRef = await Test.createTestingModule({
      providers: [
        ModelHealthIndicator,
        HealthIndicatorService,
        { provide: ModelService, useValue: { status } },
        { provide: ModelRuntimeHealth, useValue: { failure: undefined } },
        { provide: MODEL_RUNTIME, useValue: {} },
      ],
    }).compile();
    return moduleRef.get(ModelHealthIndicator);
  }
  const since = '2026-11-27T06:00:00.000Z';

  it('is up when the model is ready', async () => {
    const indicator = await indicatorFor({ name: 'en-hi', version: '1', state: 'ready', since });
    expect(indicator.isReady()).toEqual({
      model: { status: 'up', name: 'en-hi', version: '1', state: 'ready', since },
    });
  });

  it('is down with the reason while loading or after a failure', async () => {
    const loading = await indicatorFor({
      name: 'en-hi',
      state: 'loading',
      reason: 'warming up',
      since,
    });
    expect(loading.isReady()).toEqual({
      model: {
        status: 'down',
        name: 'en-hi',
        version: null,
        state: 'loading',
        reason: 'warming up',
        since,
      },
    });
    const failed = await indicatorFor({
      name: 'en-hi',
      version: '1',
      state: 'failed',
      reason: 'checksum mismatch',
      since,
    });
    expect(failed.isReady('m')).toMatchObject({
      m: { status: 'down', state: 'failed', reason: 'checksum mismatch' },
    });
  });
});

describe('ModelHealthIndicator with several versions', () => {
  it('lists every version with its state and failure while the default one serves', async () => {
    const since = '2026-11-27T06:00:00.000Z';
    const moduleRef = await Test.createTestingModule({
      providers: [
        ModelHealthIndicator,
        HealthIndicatorService,
        { provide: ModelRuntimeHealth, useValue: { failure: undefined } },
        { provide: MODEL_RUNTIME, useValue: {} },
        {
          provide: ModelService,
          useValue: {
            status: {
              name: 'en-hi',
              version: '1',
              state: 'ready',
              since,
              versions: [
                { version: '1', state: 'ready', since, in_flight: 0, default: true },
                {
                  version: '2',
                  state: 'failed',
                  reason: 'checksum mismatch for config.json',
                  since,
                  in_flight: 0,
                  default: false,
                  last_failure: { reason: 'checksum', message: 'checksum mismatch', at: since },
                },
              ],
            },
          },
        },
      ],
    }).compile();
    expect(moduleRef.get(ModelHealthIndicator).isReady()).toEqual({
      model: {
        status: 'up',
        name: 'en-hi',
        version: '1',
        state: 'ready',
        since,
        versions: {
          '1': { state: 'ready' },
          '2': {
            state: 'failed',
            reason: 'checksum mismatch for config.json',
            last_failure: 'checksum mismatch',
          },
        },
      },
    });
  });

  it('reports the runtime alive unless it is broken beyond repair', async () => {
    const indicatorWith = async (runtime: object) =>
      (
        await Test.createTestingModule({
          providers: [
            ModelHealthIndicator,
            HealthIndicatorService,
            { provide: ModelService, useValue: {} },
            { provide: ModelRuntimeHealth, useValue: {} },
            { provide: MODEL_RUNTIME, useValue: runtime },
          ],
        }).compile()
      ).get(ModelHealthIndicator);
    const broken = await indicatorWith({
      brokenReason: () => 'onnxruntime worker exited with code 1',
    });
    expect(broken.isRuntimeAlive()).toEqual({
      runtime: { status: 'down', reason: 'onnxruntime worker exited with code 1' },
    });
    // the in-thread runtime has no such state; a worker that runs is alive
    expect((await indicatorWith({})).isRuntimeAlive()).toEqual({ runtime: { status: 'up' } });
    const alive = await indicatorWith({ brokenReason: () => undefined });
    expect(alive.isRuntimeAlive()).toEqual({ runtime: { status: 'up' } });
  });
});

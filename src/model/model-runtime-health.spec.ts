import { ConsoleLogger, Logger } from '@nestjs/common';
import { loadAppConfig } from '../config/app-config';
import type { ServiceMetrics } from '../metrics/service-metrics';
import { ModelRuntimeHealth } from './model-runtime-health';
import type { LoadedModel, ModelService } from './model.service';

const bad = new Error('ort: bad alloc');

function setup(translate: jest.Mock = jest.fn().mockResolvedValue({ results: [] })) {
  const metrics = { setModelReady: jest.fn() };
  const current = { name: 'en-hi', version: '2', translator: { translateTexts: translate } };
  const release = jest.fn();
  const models = {
    status: { state: 'ready' },
    current,
    acquire: jest.fn(() => ({ model: current, release })),
  };
  const health = new ModelRuntimeHealth(
    loadAppConfig({ MODEL_FAILURE_THRESHOLD: '3' }),
    models as unknown as ModelService,
    metrics as unknown as ServiceMetrics,
  );
  const model = current as unknown as LoadedModel;
  const other = { ...current, version: '3' } as unknown as LoadedModel;
  return { health, metrics, translate, model, other, models, release };
}

const settle = () => new Promise((r) => setImmediate(r));

// the service logs its state changes; keep the test output to the results
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('ModelRuntimeHealth', () => {
  it('reports failing after MODEL_FAILURE_THRESHOLD failures in a row once WARMUP_TEXT fails too', async () => {
    const { health, metrics, model, translate, release } = setup(jest.fn().mockRejectedValue(bad));
    health.recordFailure(model, bad);
    health.recordFailure(model, bad);
    health.recordSuccess(model); // a success in between starts the count again
    health.recordFailure(model, bad);
    health.recordFailure(model, bad);
    await settle();
    expect(health.failure).toBeUndefined();
    expect(translate).not.toHaveBeenCalled();
    health.recordFailure(model, bad);
    await settle();
    expect(translate).toHaveBeenCalledWith(['Hello world.'], expect.anything());
    expect(release).toHaveBeenCalled(); // the test translation held a lease
    expect(health.failure?.reason).toMatch(
      /3 times in a row \(MODEL_FAILURE_THRESHOLD=3\) and so did a test translation.*bad alloc/,
    );
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(false);
  });

  it('stays ready when the test translation works: the inputs were to blame', async () => {
    const { health, metrics, model, translate } = setup();
    for (let i = 0; i < 3; i++) health.recordFailure(model, bad);
    await settle();
    expect(translate).toHaveBeenCalledTimes(1);
    expect(health.failure).toBeUndefined();
    expect(metrics.setModelReady).not.toHaveBeenCalledWith(false);
    // and the count starts again
    for (let i = 0; i < 2; i++) health.recordFailure(model, bad);
    await settle();
    expect(translate).toHaveBeenCalledTimes(1);
  });

  it('ignores versions other than the default one', async () => {
    const { health, other, translate } = setup(jest.fn().mockRejectedValue(bad));
    for (let i = 0; i < 5; i++) health.recordFailure(other, bad);
    await settle();
    expect(translate).not.toHaveBeenCalled();
    expect(health.failure).toBeUndefined();
  });

  it('recovers on the next success', async () => {
    const { health, metrics, model } = setup(jest.fn().mockRejectedValue(bad));
    for (let i = 0; i < 3; i++) health.recordFailure(model, bad);
    await settle();
    expect(health.failure).toBeDefined();
    health.recordSuccess(model);
    expect(health.failure).toBeUndefined();
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(true);
  });

  it('probes with a test translation while failing, once at a time, and recovers when it works', async () => {
    const translate = jest.fn().mockRejectedValueOnce(bad);
    const { health, model } = setup(translate);
    health.probe(); // not failing: nothing to do
    expect(translate).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i++) health.recordFailure(model, bad);
    await settle();
    expect(health.failure).toBeDefined();
    let finish!: () => void;
    translate.mockImplementation(() => new Promise<void>((resolve) => (finish = resolve)));
    health.probe();
    health.probe();
    expect(translate).toHaveBeenCalledTimes(2); // the confirmation, then one probe
    finish();
    await settle();
    expect(health.failure).toBeUndefined();
  });
});

import { ConsoleLogger, Logger } from '@nestjs/common';
import { loadAppConfig } from '../config/app-config';
import type { ServiceMetrics } from '../metrics/service-metrics';
import { ModelRuntimeHealth } from './model-runtime-health';
import type { ModelService } from './model.service';

function setup(translate: jest.Mock = jest.fn().mockResolvedValue({ results: [] })) {
  const metrics = { setModelReady: jest.fn() };
  const models = {
    status: { state: 'ready' },
    current: { translator: { translateTexts: translate } },
  };
  const health = new ModelRuntimeHealth(
    loadAppConfig({ MODEL_FAILURE_THRESHOLD: '3' }),
    models as unknown as ModelService,
    metrics as unknown as ServiceMetrics,
  );
  return { health, metrics, translate };
}

// the service logs its state changes; keep the test output to the results
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('ModelRuntimeHealth', () => {
  it('reports failing after MODEL_FAILURE_THRESHOLD failures in a row, not before', () => {
    const { health, metrics } = setup();
    health.recordFailure(new Error('ort: bad alloc'));
    health.recordFailure(new Error('ort: bad alloc'));
    health.recordSuccess(); // a success in between starts the count again
    health.recordFailure(new Error('ort: bad alloc'));
    health.recordFailure(new Error('ort: bad alloc'));
    expect(health.failure).toBeUndefined();
    health.recordFailure(new Error('ort: bad alloc'));
    expect(health.failure?.reason).toMatch(
      /3 times in a row \(MODEL_FAILURE_THRESHOLD=3\).*bad alloc/,
    );
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(false);
  });

  it('recovers on the next success', () => {
    const { health, metrics } = setup();
    for (let i = 0; i < 3; i++) health.recordFailure(new Error('x'));
    health.recordSuccess();
    expect(health.failure).toBeUndefined();
    expect(metrics.setModelReady).toHaveBeenLastCalledWith(true);
  });

  it('probes with a test translation while failing, once at a time, and recovers when it works', async () => {
    let finish!: () => void;
    const translate = jest.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const { health } = setup(translate);
    health.probe(); // not failing: nothing to do
    expect(translate).not.toHaveBeenCalled();
    for (let i = 0; i < 3; i++) health.recordFailure(new Error('x'));
    health.probe();
    health.probe();
    expect(translate).toHaveBeenCalledTimes(1);
    finish();
    await new Promise((r) => setImmediate(r));
    expect(health.failure).toBeUndefined();
  });
});

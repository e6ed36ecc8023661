import type { Translator } from '../inference/translator';
import { LoadedModel, ModelVersionHandle } from './model-version-handle';

function loaded(dispose: jest.Mock): LoadedModel {
  return {
    name: 'm',
    version: '1',
    dir: '/models/m/1',
    revision: 1,
    translator: { dispose } as unknown as Translator,
    loadMs: 1,
    warmupMs: 1,
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ModelVersionHandle', () => {
  it('leases only a ready version', () => {
    const handle = new ModelVersionHandle('m', '1', '/models/m/1', 'fp');
    expect(handle.state).toBe('loading');
    expect(() => handle.acquire()).toThrow(/is loading/);
    handle.ready(loaded(jest.fn()));
    const lease = handle.acquire();
    expect(lease.model.version).toBe('1');
    expect(handle.activeRequests).toBe(1);
    lease.release();
    expect(handle.activeRequests).toBe(0);
  });

  it('releases the sessions only after the last lease, and only once', async () => {
    const dispose = jest.fn().mockResolvedValue(undefined);
    const states: string[] = [];
    const handle = new ModelVersionHandle('m', '1', '/models/m/1', 'fp', (h) =>
      states.push(h.state),
    );
    handle.ready(loaded(dispose));
    const a = handle.acquire();
    const b = handle.acquire();
    let retired = false;
    const retiring = handle.retire().then(() => (retired = true));
    expect(handle.retire()).toBe(handle.retire());
    expect(handle.state).toBe('unloading');
    expect(() => handle.acquire()).toThrow(/is unloading/);

    a.release();
    a.release(); // a second release of the same lease changes nothing
    await tick();
    expect(dispose).not.toHaveBeenCalled();
    expect(retired).toBe(false);

    b.release();
    await retiring;
    expect(dispose).toHaveBeenCalledTimes(1);
    expect(handle.model).toBeUndefined();
    expect(states).toEqual(['ready', 'unloading']);
  });

  it('keeps a failure with its reason', () => {
    const handle = new ModelVersionHandle('m', '2', '/models/m/2', 'fp');
    handle.fail({ reason: 'checksum', message: 'checksum mismatch for config.json', at: 'now' });
    expect(handle).toMatchObject({
      state: 'failed',
      reason: 'checksum mismatch for config.json',
      lastFailure: { reason: 'checksum' },
    });
  });
});

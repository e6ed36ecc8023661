import { ConsoleLogger, Logger } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import type { Request, Response } from 'express';
import { loadAppConfig } from '../config/app-config';
import { GracefulShutdown } from './graceful-shutdown.service';

/** Just enough of an Express response for the tracker. */
class FakeResponse extends EventEmitter {
  headersSent = false;
  headers: Record<string, string> = {};
  setHeader(name: string, value: string) {
    this.headers[name] = value;
  }
}

const req = {} as Request;
const asRes = (r: FakeResponse) => r as unknown as Response;

// the service logs its state changes; keep the test output to the results
beforeAll(() => Logger.overrideLogger(false));
afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

describe('GracefulShutdown', () => {
  it('fails readiness during the grace period, then drains until nothing is in flight', async () => {
    const shutdown = new GracefulShutdown(loadAppConfig({ SHUTDOWN_GRACE_MS: '50' }));
    const running = new FakeResponse();
    const answered = new FakeResponse();
    answered.headersSent = true;
    shutdown.track(req, asRes(running));
    shutdown.track(req, asRes(answered));
    expect(shutdown.phase).toBe('serving');

    const done = shutdown.shutdown('SIGTERM');
    expect(shutdown.phase).toBe('grace');
    expect(shutdown.shutdown('SIGTERM')).toBe(done); // once only
    await new Promise((r) => setTimeout(r, 80));
    expect(shutdown.phase).toBe('draining');
    // answers still to be written close their connection
    expect(running.headers.Connection).toBe('close');
    expect(answered.headers.Connection).toBeUndefined();
    const late = new FakeResponse();
    shutdown.track(req, asRes(late));
    expect(late.headers.Connection).toBe('close');

    running.emit('close');
    answered.emit('close');
    expect(shutdown.inFlightCount).toBe(1);
    late.emit('close');
    await expect(done).resolves.toBe('drained');
    expect(shutdown.phase).toBe('stopped');
  });

  it('gives up at REQUEST_TIMEOUT_MS plus the margin when a request never ends', async () => {
    const waited = async (requestTimeoutMs: number) => {
      const shutdown = new GracefulShutdown(
        loadAppConfig({ REQUEST_TIMEOUT_MS: String(requestTimeoutMs) }),
      );
      shutdown.track(req, asRes(new FakeResponse()));
      const started = Date.now();
      await expect(shutdown.shutdown('SIGTERM')).resolves.toBe('deadline');
      return Date.now() - started;
    };
    const [short, long] = [await waited(100), await waited(600)];
    // the margin (DRAIN_MARGIN_MS, 1 s) on top of the request deadline, which counts in full
    expect(short).toBeGreaterThanOrEqual(1050); // timers may fire a millisecond early by Date.now()
    expect(long).toBeGreaterThanOrEqual(1550);
    expect(long - short).toBeLessThan(1000);
  });
});

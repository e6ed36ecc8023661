import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import * as net from 'node:net';
import type { Request, Response } from 'express';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { DRAIN_MARGIN_MS } from './shutdown-budget';

/**
 * serving: normal. grace: readiness says 503 but requests are still served (SHUTDOWN_GRACE_MS),
 * for balancers that only stop routing on a failed probe. draining: new connections are refused,
 * new requests on open connections get 503 `shutting_down` with `Connection: close`, requests in
 * flight finish. stopped: every connection closed.
 */
export type ShutdownPhase = 'serving' | 'grace' | 'draining' | 'stopped';

/** How the drain ended: every request answered, or cut off at the deadline. */
export type DrainOutcome = 'drained' | 'deadline';

/**
 * Graceful shutdown on SIGTERM, driven by main.ts: readiness fails at once, requests keep
 * being served for SHUTDOWN_GRACE_MS, then new requests are refused while those in flight
 * finish. In-flight requests cannot outlive REQUEST_TIMEOUT_MS (they answer 504 then), so the
 * drain waits at most that long plus a margin; the Kubernetes terminationGracePeriodSeconds
 * covers preStop + SHUTDOWN_GRACE_MS + REQUEST_TIMEOUT_MS + margin (checked by deploy/checks).
 */
@Injectable()
export class GracefulShutdown {
  private readonly logger = new Logger(GracefulShutdown.name);
  private current: ShutdownPhase = 'serving';
  private readonly inFlight = new Set<Response>();
  private idle?: () => void;
  private started?: Promise<DrainOutcome>;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {}

  get phase(): ShutdownPhase {
    return this.current;
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  /** Counts a request as in flight until its response is finished or its connection closes. */
  track(_req: Request, res: Response): void {
    this.inFlight.add(res);
    // Answers written while draining close their connection, so keep-alive clients reconnect
    // elsewhere instead of sending their next request to a server about to go.
    if (this.current === 'draining') res.setHeader('Connection', 'close');
    res.once('close', () => {
      this.inFlight.delete(res);
      if (this.inFlight.size === 0) this.idle?.();
    });
  }

  /**
   * Runs the shutdown sequence once (later calls return the same promise): grace, then drain
   * until no request is in flight or the drain deadline passes, then stops the HTTP server.
   */
  shutdown(signal: string, server?: Server): Promise<DrainOutcome> {
    this.started ??= this.run(signal, server);
    return this.started;
  }

  private async run(signal: string, server?: Server): Promise<DrainOutcome> {
    const { shutdownGraceMs, requestTimeoutMs } = this.config.http;
    this.current = 'grace';
    this.logger.log(
      `${signal}: readiness fails now; serving ${shutdownGraceMs} ms more (SHUTDOWN_GRACE_MS)`,
    );
    if (shutdownGraceMs > 0) await sleep(shutdownGraceMs);

    this.current = 'draining';
    // New connections are refused from now on (nothing was sent on them, a client or balancer
    // can retry elsewhere). net.Server's close only stops listening; http.Server's would also
    // drop idle keep-alive connections, racing a client that is just sending on one: those get
    // a 503 with Connection: close instead (DrainMiddleware).
    if (server) net.Server.prototype.close.call(server);
    for (const res of this.inFlight) {
      if (!res.headersSent) res.setHeader('Connection', 'close');
    }
    const deadlineMs = requestTimeoutMs + DRAIN_MARGIN_MS;
    this.logger.log(
      `refusing new requests; waiting up to ${deadlineMs} ms for ${this.inFlight.size} in flight`,
    );
    const outcome = await this.waitForIdle(deadlineMs);
    if (outcome === 'deadline') {
      this.logger.warn(`drain deadline passed with ${this.inFlight.size} requests in flight`);
    }
    this.current = 'stopped';
    // Nothing is in flight: drop idle keep-alive connections and half-sent requests.
    server?.closeAllConnections();
    return outcome;
  }

  private waitForIdle(deadlineMs: number): Promise<DrainOutcome> {
    if (this.inFlight.size === 0) return Promise.resolve('drained');
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve('deadline'), deadlineMs);
      this.idle = () => {
        clearTimeout(timer);
        resolve('drained');
      };
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

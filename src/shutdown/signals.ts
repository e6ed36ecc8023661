import { INestApplication, Logger } from '@nestjs/common';
import type { Server } from 'node:http';
import { GracefulShutdown } from './graceful-shutdown.service';

/**
 * SIGTERM/SIGINT start the graceful shutdown (see GracefulShutdown), then Nest's shutdown hooks
 * run (model sessions released, logs flushed) and the process exits 0, or 1 when the drain
 * deadline cut requests off. A second signal stops the process at once, with 1.
 * Replaces Nest's enableShutdownHooks, which closes the server without a drain phase and
 * re-raises the signal instead of exiting 0.
 */
export function handleShutdownSignals(
  app: INestApplication,
  exit: (code: number) => void = (code) => process.exit(code),
): void {
  const logger = new Logger('Shutdown');
  const shutdown = app.get(GracefulShutdown);
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: stopping now, ${shutdown.inFlightCount} requests in flight`);
      exit(1);
      return;
    }
    stopping = true;
    shutdown
      .shutdown(signal, app.getHttpServer() as Server)
      .then(async (outcome) => {
        await app.close();
        logger.log(`stopped (${outcome})`);
        exit(outcome === 'drained' ? 0 : 1);
      })
      .catch((e: unknown) => {
        logger.error(`shutdown failed: ${(e as Error).message}`, (e as Error).stack);
        exit(1);
      });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

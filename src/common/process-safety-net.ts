import type { LoggerService } from '@nestjs/common';

/**
 * Node ends the process on a promise rejection nobody handles. A forgotten `await` in one
 * request's code must not take every other request down with it: log the rejection with its
 * stack and carry on. (Uncaught exceptions still end the process: its state is unknown then.)
 * Returns a function that removes the handler.
 */
export function logUnhandledRejections(logger: LoggerService): () => void {
  const onRejection = (reason: unknown) => {
    const error = reason instanceof Error ? reason : new Error(String(reason));
    logger.error(
      `unhandled promise rejection, the process carries on: ${error.message}`,
      error.stack,
      'UnhandledRejection',
    );
  };
  process.on('unhandledRejection', onRejection);
  return () => process.off('unhandledRejection', onRejection);
}

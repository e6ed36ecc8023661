/**
 * The parts of the shutdown that come after the drain of requests, which deploy/checks adds to
 * preStop + SHUTDOWN_GRACE_MS + REQUEST_TIMEOUT_MS when it checks terminationGracePeriodSeconds.
 */

/** Time the last requests get to write their answer after REQUEST_TIMEOUT_MS cut them off. */
export const DRAIN_MARGIN_MS = 1000;

/**
 * Longest wait for model sessions to be released once requests are drained. Releasing takes
 * milliseconds; only a load still running can hold it up, and exiting ends that load anyway.
 */
export const SHUTDOWN_RELEASE_TIMEOUT_MS = 3000;

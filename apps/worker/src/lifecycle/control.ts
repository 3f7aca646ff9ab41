import type { FailureReason } from '@clore-batch/shared';

/**
 * Typed control flow inside the lifecycle (style.md 6). Thrown by the systems, mapped to what
 * happens to the attempt and the job in one place: classify-error.ts.
 */

/** Control flow that carries the one fact its catcher acts on, and the error that led to it. */
abstract class ControlFlow<T> extends Error {
  constructor(
    protected readonly fact: T,
    message: string,
    options: ErrorOptions = {},
  ) {
    super(message, options);
  }
}

/** The current attempt is over for `reason` (e.g. the server never came up, the spot order ended). */
export class AttemptOver extends ControlFlow<FailureReason> {
  override readonly name = 'AttemptOver';
  get reason(): FailureReason {
    return this.fact;
  }
}

/** The user asked to cancel the job. */
export class CancelRequested extends Error {
  override readonly name = 'CancelRequested';
  constructor() {
    super('the job was cancelled by its owner');
  }
}

/**
 * This worker is shutting down (or lost the job): leave the job, its order and its command as they
 * are for the next worker to resume.
 */
export class WorkerStopping extends Error {
  override readonly name = 'WorkerStopping';
  constructor(message = 'the worker is stopping; the job is left for another worker to resume') {
    super(message);
  }
}

/** Within provisioning: this server cannot be used; try the next one (same attempt number). */
export class NextServer extends ControlFlow<number> {
  override readonly name = 'NextServer';
  get serverId(): number {
    return this.fact;
  }
}

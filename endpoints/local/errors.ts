import { AlreadyExistsError, FailedPreconditionError, InvalidArgumentError } from '../../sdk/core/index.js';

/** A flag or argument of `meridio local` that cannot be used; the message names it. */
export class LocalUsageError extends InvalidArgumentError {}

/** `up` while an instance is up (or left its state behind) in the same state directory. */
export class LocalAlreadyUpError extends AlreadyExistsError {}

/** A command that needs a running instance found none. */
export class LocalNotUpError extends FailedPreconditionError {}

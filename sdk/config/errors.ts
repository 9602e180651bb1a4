import { InvalidArgumentError } from '../core/errors.js';

/** A text that should be a network CIDR (address/prefix, no host bits) and is not. */
export class InvalidCidrError extends InvalidArgumentError {
  constructor(
    readonly text: string,
    readonly reason: string,
  ) {
    super(`"${text}" is not a valid CIDR: ${reason}`);
  }
}

/**
 * A configuration document that was rejected as a whole; `message` is one sentence naming the
 * problem, written for the log line an operator reads.
 */
export class InvalidConfigError extends InvalidArgumentError {}

import { Code, MeridioError } from '../../core/index.js';

/** An iptables command failed; the message carries the command and what it printed. */
export class IptablesError extends MeridioError {
  constructor(
    message: string,
    code: Code,
    readonly stderr: string,
    options?: { cause?: unknown },
  ) {
    super(message, code, options);
  }
}

import { Code, MeridioError } from '../../sdk/core/index.js';

/** The fwmark offset and slot count give routing tables the kernel reserves, or numbers past 32 bits. */
export class FwmarkRangeError extends MeridioError {
  constructor(message: string) {
    super(message, Code.INVALID_ARGUMENT);
  }
}

/** An NSP target the LB will not route: no or a bad identifier, one already taken, unusable addresses. */
export class TargetRefusedError extends MeridioError {
  constructor(message: string) {
    super(message, Code.INVALID_ARGUMENT);
  }
}

import { InvalidArgumentError } from '../../core/index.js';

/** The request offers (or holds) no mechanism this side can work with. */
export class UnsupportedMechanismError extends InvalidArgumentError {}

/** A KERNEL mechanism whose parameters cannot be used (namespace URL, interface name). */
export class InvalidKernelMechanismError extends InvalidArgumentError {}

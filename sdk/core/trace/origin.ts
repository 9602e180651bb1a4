/**
 * Where an error came from, recorded on the error itself. The message is left alone (callers and the
 * gRPC status keep what the element said); the name rides along as a non-enumerable property so it does
 * not leak into serialized errors.
 */
const ORIGIN_PROPERTY = 'chainElement';

/** Records `element` as the origin of `error`, unless an element nearer the source already did. */
export function markErrorOrigin(error: unknown, element: string): void {
  if (typeof error !== 'object' || error === null) return;
  if (Object.prototype.hasOwnProperty.call(error, ORIGIN_PROPERTY) || !Object.isExtensible(error)) return;
  Object.defineProperty(error, ORIGIN_PROPERTY, {
    value: element,
    enumerable: false,
    configurable: true,
    writable: false,
  });
}

/** The name of the chain element that raised `error`, when the chain was traced (log level info or lower). */
export function errorOrigin(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const value: unknown = (error as Record<string, unknown>)[ORIGIN_PROPERTY];
  return typeof value === 'string' ? value : undefined;
}

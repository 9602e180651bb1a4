/**
 * Deep copies of decoded protobuf messages (plain objects, arrays, strings, numbers, booleans, null, and
 * Buffers for bytes fields). An order of magnitude faster than `structuredClone` on a Connection, which
 * matters because begin and monitor copy one on every Request. New proto fields are copied without
 * changes here.
 */
export function copyMessage<T>(message: T): T {
  return copyValue(message) as T;
}

function copyValue(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyValue);
  if (ArrayBuffer.isView(value))
    return Buffer.from(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  // A spread copies every field in one step and keeps the message's shape; only the fields that hold
  // objects are visited again (10-20% faster on a Connection than assigning field by field).
  const copy: Record<string, unknown> = { ...value };
  for (const key in copy) {
    const field = copy[key];
    if (typeof field === 'object' && field !== null) copy[key] = copyValue(field);
  }
  return copy;
}

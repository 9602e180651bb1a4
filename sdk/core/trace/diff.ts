/** One changed field between two views of a request or connection, addressed by a dotted path. */
export interface FieldChange {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(path: string, from: unknown, to: unknown, out: FieldChange[]): void {
  if (Object.is(from, to)) return;
  if (Array.isArray(from) && Array.isArray(to)) {
    const length = Math.max(from.length, to.length);
    for (let i = 0; i < length; i++) collect(`${path}[${i}]`, from[i], to[i], out);
    return;
  }
  if (isRecord(from) && isRecord(to)) {
    const keys = new Set([...Object.keys(from), ...Object.keys(to)]);
    for (const key of keys) collect(path === '' ? key : `${path}.${key}`, from[key], to[key], out);
    return;
  }
  out.push({ path: path === '' ? '.' : path, from, to });
}

/** The leaf fields that differ between two plain-data views (JSON-like values). */
export function diffViews(from: unknown, to: unknown): FieldChange[] {
  const out: FieldChange[] = [];
  collect('', from, to, out);
  return out;
}

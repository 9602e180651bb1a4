/**
 * Where a process serves its Prometheus metrics, as the `--metrics` setting writes it: empty (not
 * served), `:port` (every address), `host:port`, `[v6]:port`, or `unix:///absolute/path`.
 */
import { isAbsolute } from 'node:path';

import { InvalidArgumentError } from '../core/errors.js';

export type MetricsAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly text: string }
  | { readonly kind: 'unix'; readonly path: string; readonly text: string };

/** Thrown for a `--metrics` value that is none of the accepted forms. */
export class InvalidMetricsAddressError extends InvalidArgumentError {}

/** Undefined for '' (metrics off); otherwise the address, or InvalidMetricsAddressError. */
export function parseMetricsAddress(value: string): MetricsAddress | undefined {
  const text = value.trim();
  if (text === '') return undefined;
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!isAbsolute(path)) {
      throw new InvalidMetricsAddressError(
        `"${value}" is not a metrics address: a unix socket is written unix:///absolute/path.`,
      );
    }
    return { kind: 'unix', path, text };
  }
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]*):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new InvalidMetricsAddressError(
      `"${value}" is not a metrics address: write :port, host:port, [ipv6]:port or unix:///absolute/path.`,
    );
  }
  const host = (match[1] ?? '').replace(/^\[|\]$/g, '');
  return { kind: 'tcp', host: host === '' ? '::' : host, port, text };
}

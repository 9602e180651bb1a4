import { InvalidArgumentError } from '../core/errors.js';

/**
 * A service address as Meridio settings write it: `host:port`, `[v6]:port`, or `unix:///abs/path`.
 * `target` is what grpc-js dials, `bind` what a grpc-js server binds.
 */
export interface ServiceAddress {
  readonly kind: 'tcp' | 'unix';
  readonly target: string;
  readonly bind: string;
  /** The unix socket path, for `unix` addresses. */
  readonly path?: string;
}

export function parseServiceAddress(value: string): ServiceAddress {
  const text = value.trim();
  if (text.startsWith('unix://')) {
    const path = text.slice('unix://'.length);
    if (!path.startsWith('/')) {
      throw new InvalidArgumentError(`"${value}" is not a valid unix address: write unix:///absolute/path`);
    }
    return { kind: 'unix', target: `unix://${path}`, bind: `unix://${path}`, path };
  }
  const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(text);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port > 65535) {
    throw new InvalidArgumentError(
      `"${value}" is not a valid service address: write host:port, [ipv6]:port or unix:///path`,
    );
  }
  return { kind: 'tcp', target: text, bind: text };
}

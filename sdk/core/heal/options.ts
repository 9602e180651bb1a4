import type { Context } from '../context.js';
import type { Connection, ConnectionEvent } from '../types.js';

/** Which connections a heal stream asks for: this hop's path segment. */
export interface HealSelector {
  readonly path_segments: { id: string; name: string }[];
}

/**
 * Where heal watches the connection: the MonitorConnection of the hop the client talks to (the NSM).
 * `sdk/grpc`'s `MonitorConnectionRemote` is one; so is anything that streams the same events.
 * The stream starts with INITIAL_STATE_TRANSFER; it ends quietly when `signal` aborts and throws when
 * it breaks.
 */
export interface MonitorConnectionSource {
  monitorConnections(
    selector: HealSelector,
    options: { signal?: AbortSignal },
  ): AsyncIterable<ConnectionEvent>;
}

/** Whether the connection's data path works (e.g. its interface exists, or its peer answers a ping). */
export type LivenessCheck = (ctx: Context, connection: Connection) => Promise<boolean>;

export interface HealOptions {
  /** The NSM's MonitorConnection. */
  readonly monitor: MonitorConnectionSource;
  /** Checked every `livenessIntervalMs` while the connection is held; false heals with reselect. */
  readonly livenessCheck?: LivenessCheck;
  /** Default 1 s. */
  readonly livenessIntervalMs?: number;
  /** Pause between failed heal attempts and between monitor reconnects; default 200 ms (doubling to 1 s for reconnects). */
  readonly retryIntervalMs?: number;
  /** The client's lifetime: when it aborts, every watch and heal stops. */
  readonly signal?: AbortSignal;
}

export interface HealSettings {
  readonly monitor: MonitorConnectionSource;
  readonly livenessCheck: LivenessCheck | undefined;
  readonly livenessIntervalMs: number;
  readonly retryIntervalMs: number;
  readonly maxReconnectMs: number;
  readonly signal: AbortSignal | undefined;
}

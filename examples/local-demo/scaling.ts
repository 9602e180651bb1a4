/**
 * What the scaling step of the demo shows, read from the churning client's ctraffic report: which
 * targets took new flows, and which connections were lost — each checked against the targets that
 * stayed and those that were removed.
 */
import type { ConnStats, Statistics } from '../../clients/ctraffic/index.js';

export interface ScalingOutcome {
  readonly connections: number;
  /** New connections per second the client opened. */
  readonly rate: number;
  /** Connections that ended well, per target. */
  readonly lasting: Readonly<Record<string, number>>;
  /** Connections lost after their target answered, per target. */
  readonly lost: Readonly<Record<string, number>>;
  /** Lost connections whose target stayed: must be none. */
  readonly lostOnSurvivors: number;
  /** Connections that sent a packet and never got an answer: must be none. */
  readonly unanswered: number;
  /** The added targets that took new connections. */
  readonly joinedWithTraffic: readonly string[];
}

function answered(connection: ConnStats): boolean {
  return connection.Host !== undefined && connection.Host !== '';
}

export function scalingOutcome(
  stats: Statistics,
  options: {
    readonly added: readonly string[];
    readonly removed: readonly string[];
    readonly longLived: number;
    /** Peer → removed target whose server still held it at stop (`connectionsHeldAtStop`). */
    readonly heldAtRemoval?: ReadonlyMap<string, string>;
  },
): ScalingOutcome {
  const connections = stats.ConnStats ?? [];
  const lasting: Record<string, number> = {};
  const lost: Record<string, number> = {};
  let lostOnSurvivors = 0;
  let unanswered = 0;
  for (const connection of connections) {
    // A connection a leaving target accepted but never answered on is that target's.
    const holder = answered(connection) ? connection.Host! : options.heldAtRemoval?.get(connection.Local);
    if (holder === undefined) {
      // Cut by the end of the run before its first packet: nothing to judge.
      if (connection.Err !== '' || connection.Sent > 0) unanswered++;
      continue;
    }
    const host = holder;
    if (connection.Err === '') lasting[host] = (lasting[host] ?? 0) + 1;
    else {
      lost[host] = (lost[host] ?? 0) + 1;
      if (!options.removed.includes(host)) lostOnSurvivors++;
    }
  }
  const seconds = Math.max(1, stats.Duration / 1e9 - 1);
  return {
    connections: connections.length,
    rate: Math.round((connections.length - options.longLived) / seconds),
    lasting,
    lost,
    lostOnSurvivors,
    unanswered,
    joinedWithTraffic: options.added.filter((name) => (lasting[name] ?? 0) + (lost[name] ?? 0) > 0),
  };
}

/** `target-1 120, target-2 98, …` in name order. */
export function perTarget(counts: Readonly<Record<string, number>>): string {
  const entries = Object.entries(counts).sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }));
  return entries.length === 0 ? 'none' : entries.map(([name, count]) => `${name} ${count}`).join(', ');
}

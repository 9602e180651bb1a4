/**
 * The statistics report, with ctraffic's field names (Go `encoding/json` of its `statistics`):
 * durations are integer nanoseconds relative to `Started`, which is an RFC 3339 time.
 */
export interface ConnStats {
  Started: number;
  Connect: number;
  Ended: number;
  Err: string;
  Sent: number;
  Received: number;
  Dropped: number;
  Retransmits: number;
  Local: string;
  Remote: string;
  Host?: string;
}

export interface Sample {
  Time: number;
  Sent: number;
  Received: number;
  Dropped: number;
}

export interface Statistics {
  Started: string;
  Duration: number;
  Rate: number;
  Connections: number;
  PacketSize: number;
  FailedConnections: number;
  Sent: number;
  Received: number;
  Dropped: number;
  Retransmits: number;
  FailedConnects: number;
  ConnStats?: ConnStats[];
  Samples?: Sample[];
}

export const NS_PER_MS = 1_000_000;

export function newConnStats(startedNs: number): ConnStats {
  return {
    Started: startedNs,
    Connect: 0,
    Ended: 0,
    Err: '',
    Sent: 0,
    Received: 0,
    Dropped: 0,
    Retransmits: 0,
    Local: '',
    Remote: '',
  };
}

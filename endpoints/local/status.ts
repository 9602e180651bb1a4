/**
 * What `meridio local status --json` prints. The first keys are the contract of issue 6 (vips,
 * external, gateway, lbs, proxies, targets with their listed fields); the others add what a person
 * debugging wants to see (pids, restarts, readiness details).
 */
export interface ProcessInfo {
  /** The pid of the running process, null while it is down. */
  readonly pid: number | null;
  /** How often the supervisor restarted it. */
  readonly restarts: number;
}

export interface LbStatus extends ProcessInfo {
  readonly name: string;
  readonly namespace: string;
  readonly healthy: boolean;
  /** The LB's addresses on the gateway's bridge (the nexthops of the VIP routes). */
  readonly gatewayIps: readonly string[];
  /** The gateway's VIP routes use it. */
  readonly routed: boolean;
}

export interface ProxyStatus extends ProcessInfo {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  /** The proxy's subnets from IPAM (its bridge's networks). */
  readonly subnets: readonly string[];
  readonly healthy: boolean;
}

export interface TargetStatus extends ProcessInfo {
  readonly name: string;
  readonly namespace: string;
  readonly node: string;
  /** The Maglev identifier it registered with at the NSP; null while not registered. */
  readonly identifier: number | null;
  /** Its addresses on the NSM link to its proxy. */
  readonly ips: readonly string[];
  readonly healthy: boolean;
  readonly registered: boolean;
  /** A ctraffic probe from the external host reached it on every VIP since it (re)started. */
  readonly reachable: boolean;
  readonly ctraffic: ProcessInfo;
}

export interface ServiceStatus extends ProcessInfo {
  readonly name: string;
  readonly healthy: boolean;
}

export type Phase = 'starting' | 'running' | 'scaling' | 'stopping' | 'failed';

export interface LocalStatus {
  readonly vips: readonly string[];
  readonly external: { readonly namespace: string; readonly ips: readonly string[] };
  readonly gateway: { readonly namespace: string };
  readonly lbs: readonly LbStatus[];
  readonly proxies: readonly ProxyStatus[];
  readonly targets: readonly TargetStatus[];
  readonly services: readonly ServiceStatus[];
  readonly stateDir: string;
  readonly supervisorPid: number;
  readonly phase: Phase;
  /** Every process healthy, every target registered and reachable, the asked number of targets. */
  readonly ready: boolean;
  /** The number of targets asked for (by `up` or the last `scale`). */
  readonly wantedTargets: number;
  /** Why the instance failed (phase `failed`). */
  readonly failure?: string;
}

/**
 * The subcommands of `meridio`. Add a process by adding one line: its name, a one-line summary for
 * `meridio --help`, and the module whose `run(argv, env)` it starts (loaded only when chosen).
 */
export interface ProcessModule {
  /** Runs the process with its own arguments; resolves with the exit code. */
  run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number>;
}

export interface Subcommand {
  readonly name: string;
  readonly summary: string;
  load(): Promise<ProcessModule>;
}

function subcommand(name: string, summary: string, load: () => Promise<ProcessModule>): Subcommand {
  return { name, summary, load };
}

export const SUBCOMMANDS: readonly Subcommand[] = [
  subcommand('nsp', 'NSP target registry, gRPC on :7778', () => import('../endpoints/nsp/main.js')),
  subcommand('ipam', 'IPAM subnet allocator, gRPC on :7777', () => import('../endpoints/ipam/main.js')),
  subcommand(
    'nsm',
    'embedded NSM: registry, manager, kernel forwarder on a unix socket',
    () => import('../endpoints/nsm/main.js'),
  ),
  subcommand(
    'proxy',
    "a node's proxy: bridge0, NSE for its targets, full mesh to the LBs",
    () => import('../endpoints/proxy/main.js'),
  ),
  subcommand(
    'target',
    'a target: NSC to its proxy, VIPs on lo, source route back',
    () => import('../clients/target/main.js'),
  ),
  subcommand(
    'ctraffic',
    'TCP traffic: echo server (--server) or client with a JSON report',
    () => import('../clients/ctraffic/main.js'),
  ),
  subcommand(
    'lb',
    'load balancer: NSM endpoint for the proxies, Maglev over the NSP targets via NFQUEUE',
    () => import('../endpoints/lb/main.js'),
  ),
  subcommand(
    'local',
    'the whole of Meridio on this host in network namespaces: up, status, scale, traffic, down',
    () => import('../endpoints/local/main.js'),
  ),
  subcommand(
    'operator',
    'Trench controller and validating webhook',
    () => import('../endpoints/operator/main.js'),
  ),
];

/**
 * The shared setup of the data-path suites: a sandbox, the topology, a target agent per target
 * answering on TCP and UDP at the VIPs, the client agent and a started TestLb; all stopped and removed
 * after the suite, also when it failed.
 */
import type { FlowTuple } from '../../../sdk/nfqueue/index.js';
import { useNetnsSandbox } from '../../helpers/netns.js';
import { TopologyAgents, type TcpResult, type TrafficAgent } from '../lb-shared/traffic.js';
import { TestLb } from './lb.js';
import { TCP_PORT, UDP_PORT } from '../lb-shared/topology.js';
import { buildTopology, CLIENT4, CLIENT6, VIP4, VIP6, type Topology } from './topology.js';

export { TCP_PORT, UDP_PORT } from '../lb-shared/topology.js';

/** Each family's VIP and the client's source address. */
export const FAMILIES = [
  { family: 'IPv4', vip: VIP4, source: CLIENT4 },
  { family: 'IPv6', vip: VIP6, source: CLIENT6 },
] as const;

export interface DatapathSetupOptions {
  /** Sandbox label (unique per suite). */
  label: string;
  targets: number;
  pinning: boolean;
  /** Targets made active once the LB runs; none when not given. */
  active?: number[];
}

export interface DatapathSetup {
  readonly topology: Topology;
  readonly lb: TestLb;
  readonly client: TrafficAgent;
}

/** Registers the suite's beforeAll/afterAll; read the parts inside the tests. */
export function useDatapathLb(options: DatapathSetupOptions): DatapathSetup {
  const sandbox = useNetnsSandbox(options.label, { scope: 'all' });
  const agents = new TopologyAgents();
  let topology: Topology | undefined;
  let lb: TestLb | undefined;

  beforeAll(async () => {
    topology = buildTopology(sandbox.name, options.targets);
    await agents.start(topology, TCP_PORT, { port: UDP_PORT, addresses: [VIP4, VIP6] });
    lb = new TestLb(topology, { pinning: options.pinning });
    await lb.start();
    if (options.active !== undefined) await lb.setActive(options.active);
  }, 60_000);

  afterAll(async () => {
    await agents.stop();
    await lb?.stop();
  });

  function started<T>(part: T | undefined, what: string): T {
    if (part === undefined) throw new Error(`the ${what} is not set up (beforeAll failed)`);
    return part;
  }
  return {
    get topology() {
      return started(topology, 'topology');
    },
    get lb() {
      return started(lb, 'LB');
    },
    get client() {
      return agents.client;
    },
  };
}

/** The flow of a TCP connection from `source` to the VIP `destination`, as the LB hashes it. */
export function tcpFlow(source: string, destination: string, connection: TcpResult): FlowTuple {
  return {
    source,
    destination,
    protocol: 'tcp',
    sourcePort: connection.port ?? 0,
    destinationPort: TCP_PORT,
  };
}

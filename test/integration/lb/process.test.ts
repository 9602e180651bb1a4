/**
 * The `meridio lb` process itself (the built command, run in the LB namespace with `ip netns exec` as
 * `meridio local` does): configured by NSM_ variables and flags, it balances over the NSP's targets;
 * after kill -9 and a new start there are no duplicate rules or chains and traffic flows again (even the
 * connections opened before, since the same targets give the same Maglev table); SIGTERM removes every
 * rule, route, chain and blackhole and unregisters the endpoint.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createMaglev } from '../../../sdk/maglev/index.js';
import { createFlowTable } from '../../../sdk/nfqueue/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { countMarks } from '../lb-datapath/conntrack.js';
import { eventually, nspTarget, startServices, type Services } from './support.js';
import { buildLbTopology, TCP_PORT, VIP4, VIP6, VIPS, type LbTopology } from '../lb-shared/topology.js';
import { duplicates, lbKernelState, type LbKernelState } from './kernel-state.js';
import { countByTarget, TopologyAgents, type TrafficAgent } from '../lb-shared/traffic.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** `make test` builds (tsc -p tsconfig.json) before jest; the process runs the compiled command. */
const MERIDIO_BIN = join(REPO, 'dist', 'bin', 'meridio.js');
const LB_MAIN = join(REPO, 'dist', 'endpoints', 'lb', 'main.js');
const LB_NAME = 'lb-p';

interface LbProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  output(): string;
}

skipUnlessRoot('the meridio lb process tests', ['iptables-nft', 'ping'])('meridio lb (process)', () => {
  const sandbox = useNetnsSandbox('lbpr', { scope: 'all' });
  let topology: LbTopology;
  let services: Services;
  let client: TrafficAgent;
  const agents = new TopologyAgents();
  const processes: LbProcess[] = [];

  function startLbProcess(): LbProcess {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        topology.lb,
        process.execPath,
        MERIDIO_BIN,
        'lb',
        '--listen',
        `unix://${join(services.dir, 'lb.sock')}`,
        '--config-file',
        join(services.dir, 'meridio.conf'),
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          NSM_NAME: LB_NAME,
          NSM_CONNECT_TO: services.nsm.address,
          NSM_NSP_SERVICE: services.nspAddress,
          NSM_VIPS: VIPS.join(','),
          NSM_LOG_LEVEL: 'debug',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    const started: LbProcess = { child, exited, output: () => text };
    processes.push(started);
    return started;
  }

  /** Waits until the process has activated `targets` targets (two fwmark rules each) and built its VIP chains. */
  async function serving(lb: LbProcess, targets = 3): Promise<LbKernelState> {
    await eventually(() => {
      if (lb.child.exitCode !== null) throw new Error(`meridio lb exited early:\n${lb.output()}`);
      return lb.output().includes('"msg":"load balancer started"');
    }, 'meridio lb started');
    return eventually(() => {
      const state = lbKernelState(topology.lb);
      const activated = lb.output().match(/"msg":"target activated"/g)?.length ?? 0;
      return activated === targets &&
        state.rules.length === 2 * targets &&
        state.chains.some((line) => line.includes(VIP6))
        ? state
        : undefined;
    }, `${targets} targets routed and the VIP chains built`);
  }

  beforeAll(async () => {
    if (!existsSync(MERIDIO_BIN) || !existsSync(LB_MAIN)) {
      throw new Error(`${LB_MAIN} is missing: run "make build" first (make test does)`);
    }
    topology = buildLbTopology(sandbox.name, [true, true, true]);
    services = await startServices('lb-proc');
    await agents.start(topology, TCP_PORT);
    client = agents.client;
    for (const i of [1, 2, 3]) await services.nspClient.register(nspTarget(i));
  }, 60_000);

  afterAll(async () => {
    for (const lb of processes)
      if (lb.child.exitCode === null && lb.child.signalCode === null) lb.child.kill('SIGKILL');
    await Promise.all(processes.map((lb) => lb.exited));
    await agents.stop();
    await services?.stop();
  });

  it('after kill -9 and a new start: no duplicate rules or chains, and traffic flows again', async () => {
    const first = startLbProcess();
    const before = await serving(first);
    const opened = [
      ...(await client.tcpOpen('kept-4', VIP4, TCP_PORT, 30)),
      ...(await client.tcpOpen('kept-6', VIP6, TCP_PORT, 30)),
    ];
    expect(opened.filter((result) => result.error !== null)).toEqual([]);
    expect(Object.keys(countByTarget(opened)).sort()).toEqual(['t1', 't2', 't3']);
    expect(services.nsm.registry.endpoint(LB_NAME)?.network_service_names).toEqual(['load-balancer']);

    first.child.kill('SIGKILL');
    await first.exited;
    // The killed process could not clean up: its rules and chains are still there.
    expect(lbKernelState(topology.lb).rules).toHaveLength(6);

    const second = startLbProcess();
    const after = await serving(second);
    expect(duplicates(after.rules)).toEqual([]);
    expect(duplicates(after.chains)).toEqual([]);
    expect(duplicates(after.blackholes)).toEqual([]);
    expect([...after.rules].sort()).toEqual([...before.rules].sort());
    expect([...after.chains].sort()).toEqual([...before.chains].sort());
    expect([...after.tableRoutes].sort()).toEqual([...before.tableRoutes].sort());
    expect(after.chains.filter((line) => line.includes('-A PREROUTING'))).toHaveLength(2);

    const fresh = [
      ...(await client.tcpOpen('fresh-4', VIP4, TCP_PORT, 30)),
      ...(await client.tcpOpen('fresh-6', VIP6, TCP_PORT, 30)),
    ];
    expect(fresh.filter((result) => result.error !== null)).toEqual([]);
    expect(Object.keys(countByTarget(fresh)).sort()).toEqual(['t1', 't2', 't3']);
    // Same targets, same Maglev table: the connections opened before the kill reach the same targets.
    const kept = [...(await client.tcpPing('kept-4')), ...(await client.tcpPing('kept-6'))];
    expect(kept.map((result) => result.target)).toEqual(opened.map((result) => result.target));
  });

  it('after kill -9, a restart forgets the pinned flows of a target that left meanwhile: they move instead of hanging', async () => {
    const killed = processes.at(-1)!;
    const opened = [
      ...(await client.tcpOpen('stale-4', VIP4, TCP_PORT, 30)),
      ...(await client.tcpOpen('stale-6', VIP6, TCP_PORT, 30)),
    ];
    expect(opened.filter((result) => result.error !== null)).toEqual([]);
    expect(countMarks(topology.lb).get(5003)).toBeGreaterThan(0);
    killed.child.kill('SIGKILL');
    await killed.exited;
    await services.nspClient.unregister(nspTarget(3));

    const restarted = startLbProcess();
    await serving(restarted, 2);
    // Target 3 is gone, and so is every conntrack entry that would pin a flow to it.
    expect(countMarks(topology.lb).get(5003)).toBeUndefined();

    // Each connection ends where the table of targets 1 and 2 sends it: the same target (it answers),
    // or another one, which resets it. None hangs on a mark whose route is gone.
    const table = createFlowTable();
    await table.publish(createMaglev().build([1, 2]));
    const expected = opened.map((result, index) => {
      const destination = index < 30 ? VIP4 : VIP6;
      const source = index < 30 ? '10.0.0.2' : 'fd00:cc::2';
      const flow = {
        source,
        destination,
        protocol: 'tcp' as const,
        sourcePort: result.port ?? 0,
        destinationPort: TCP_PORT,
      };
      const target = `t${table.lookupFlow(flow).identifier}`;
      return target === result.target ? { target, error: null } : { target: null, error: 'ECONNRESET' };
    });
    expect(expected.filter((result) => result.error === null).length).toBeGreaterThan(0);
    const after = [...(await client.tcpPing('stale-4')), ...(await client.tcpPing('stale-6'))];
    expect(after.map(({ target, error }) => ({ target, error }))).toEqual(expected);

    await services.nspClient.register(nspTarget(3));
    await serving(restarted, 3);
  });

  it('SIGTERM removes every rule, route, chain and blackhole it made and unregisters the endpoint', async () => {
    const running = processes.at(-1)!;
    running.child.kill('SIGTERM');
    expect(await running.exited).toBe(0);
    expect(running.output()).toContain('"msg":"stopped"');
    expect(lbKernelState(topology.lb)).toEqual({ rules: [], tableRoutes: [], chains: [], blackholes: [] });
    expect(services.nsm.registry.endpoint(LB_NAME)).toBeUndefined();
  });
});

/**
 * `npm run bench:lb` (root): the LB data path against plain kernel forwarding, the same addon calling
 * JavaScript per packet, and a minimal C libnetfilter_queue consumer, in namespaces
 * (client → LB → 3 targets, see test/integration/lb-datapath/topology.ts), plus the Maglev figures.
 * Every figure is the median of RUNS runs, interleaved between the variants. The last line printed is
 * one JSON object.
 */
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULTS } from '../../../sdk/defaults.js';
import { applyLbChains, removeLbChains } from '../../../sdk/kernel/iptables/index.js';
import { changedEntries, createMaglev, maxOverMean } from '../../../sdk/maglev/index.js';
import { netnsSandbox, netnsUnavailableReason } from '../../helpers/netns.js';
import { buildTopology, VIP4, type Topology } from '../../integration/lb-datapath/topology.js';
import { forwardedPackets, forwardedPerTarget, median, processCpuNs, waitForQuiet } from './measure.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const FLOWS = 256;
const SINK_PORT = 9;
const WARMUP_MS = 500;
const WINDOW_MS = 2000;
const FIXED_PPS = Number(process.env.BENCH_FIXED_PPS ?? 30_000);
/** A run starts when the rest of the machine uses less than this share of the CPUs (or after 30 s). */
const QUIET = Number(process.env.BENCH_QUIET ?? 0.2);
const TARGETS = 3;

/**
 * Sender on CPU 0, queue processes on CPU 1, both at nice -20: the machine is shared, and kernel
 * forwarding runs in softirq context, which neighbours cannot preempt; at normal priority a queue
 * thread would measure the neighbours' load rather than the data path.
 */
const PINNED = (cpu: number): string[] => ['nice', '-n', '-20', 'taskset', '-c', `${cpu}`];

const here = dirname(fileURLToPath(import.meta.url));
const repository = resolve(here, '..', '..', '..', '..');
const binaries = join(repository, 'dist', 'bench-lb', 'bin');

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const log = (message: string): void => void process.stdout.write(`${message}\n`);

function compile(): void {
  mkdirSync(binaries, { recursive: true });
  const source = (name: string): string => join(repository, 'test', 'bench', 'lb', name);
  execFileSync('cc', ['-O2', '-o', join(binaries, 'cref'), source('cref.c'), '-lnetfilter_queue', '-lmnl']);
  execFileSync('cc', ['-O2', '-o', join(binaries, 'blaster'), source('blaster.c')]);
}

function maglevFigures(): Record<string, number> {
  const time = (build: () => void): number => {
    for (let i = 0; i < 3; i++) build();
    const samples: number[] = [];
    for (let i = 0; i < 11; i++) {
      const start = process.hrtime.bigint();
      build();
      samples.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
    return median(samples);
  };
  const small = createMaglev({ tableSize: 65537, maxTargets: 100 });
  const large = createMaglev({ tableSize: 655373, maxTargets: 1000 });
  const all100 = Array.from({ length: 100 }, (_, i) => i + 1);
  const all1000 = Array.from({ length: 1000 }, (_, i) => i + 1);
  const smallOut = new Uint16Array(65537);
  const largeOut = new Uint16Array(655373);
  const full = small.build(all100);
  const disruption = all100.map(
    (removed) => (100 * changedEntries(full, small.build(all100.filter((id) => id !== removed)))) / 65537,
  );
  return {
    maglev_build_ms_m65537_n100: round(
      time(() => small.build(all100, smallOut)),
      2,
    ),
    maglev_build_ms_m655373_n1000: round(
      time(() => large.build(all1000, largeOut)),
      2,
    ),
    balance_max_over_mean: round(maxOverMean(full, all100, 100), 4),
    disruption_pct_remove_1_of_100: round(median(disruption), 3),
  };
}

interface QueueProcess {
  pid: number;
  stop(): Promise<void>;
}

async function startProcess(netns: string, argv: string[]): Promise<QueueProcess> {
  const child: ChildProcessWithoutNullStreams = spawn('ip', ['netns', 'exec', netns, ...PINNED(1), ...argv]);
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  await new Promise<void>((ready, fail) => {
    readline.createInterface({ input: child.stdout }).once('line', () => ready());
    child.once('exit', (code) =>
      fail(new Error(`${argv.join(' ')} exited with ${code}: ${stderr.join('')}`)),
    );
  });
  return {
    pid: child.pid ?? -1,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 1000);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
}

type Variant =
  | 'kernel'
  | 'kernel_conntrack'
  | 'lb'
  | 'lb_pinned'
  | 'lb_pinned_per_target'
  | 'lb_pinned_per_target_n100'
  | 'jscb'
  | 'cref';
type QueueVariant = Exclude<Variant, 'kernel' | 'kernel_conntrack'>;
const QUEUE_OF: Record<QueueVariant, number> = {
  lb: 0,
  lb_pinned_per_target: 0,
  lb_pinned_per_target_n100: 0,
  jscb: 1,
  cref: 2,
  lb_pinned: 3,
};

/**
 * The pinning rules of the previous design (decision 005 before decision 012), kept only as this
 * benchmark's comparison: restore, one RETURN per active target's mark (ascending), the queue (plain
 * NF_ACCEPT verdicts), and the mark saved in POSTROUTING. removeLbChains removes these chains too.
 * With `activeTargets` = 100, identifiers 1..3 (the ones with traffic) sit at the 25th, 50th and 75th
 * RETURN rule, as the average flow of 100 evenly loaded targets would.
 */
function applyPerTargetRules(lb: string, activeTargets: number): void {
  const identifiers = Array.from({ length: TARGETS }, (_, i) => i + 1);
  if (activeTargets > TARGETS) {
    const idle = Array.from({ length: activeTargets - TARGETS }, (_, i) => TARGETS + i + 1);
    const quarter = Math.floor(activeTargets / 4);
    identifiers.splice(0, TARGETS, ...idle);
    for (let i = 0; i < TARGETS; i++) identifiers.splice((i + 1) * quarter - 1, 0, i + 1);
  }
  const marks = identifiers.map((identifier) => DEFAULTS.fwmarkOffset + identifier);
  const input = [
    '*mangle',
    ':MERIDIO-LB-PRE - [0:0]',
    ':MERIDIO-LB-VIP - [0:0]',
    ':MERIDIO-LB-POST - [0:0]',
    `-A MERIDIO-LB-PRE -d ${VIP4}/32 -j MERIDIO-LB-VIP`,
    '-A MERIDIO-LB-VIP -j CONNMARK --restore-mark',
    ...marks.map((mark) => `-A MERIDIO-LB-VIP -m mark --mark ${mark} -j RETURN`),
    `-A MERIDIO-LB-VIP -j NFQUEUE --queue-num ${QUEUE_OF.lb_pinned_per_target} --queue-bypass`,
    `-A MERIDIO-LB-POST -d ${VIP4}/32 -j CONNMARK --save-mark`,
    '-A PREROUTING -j MERIDIO-LB-PRE',
    '-A POSTROUTING -j MERIDIO-LB-POST',
    'COMMIT',
    '',
  ].join('\n');
  execFileSync('ip', ['netns', 'exec', lb, 'iptables-nft-restore', '--noflush'], { input });
}

/**
 * A chain nothing jumps to, whose conntrack match makes the kernel track connections in the namespace
 * (rules that need conntrack turn it on when they are added): kernel_conntrack_pps is plain forwarding
 * plus conntrack, the floor under any conntrack-based pinning.
 */
const CONNTRACK_ONLY_CHAIN = 'BENCH-CONNTRACK-ON';

function setConntrackOnly(lb: string, on: boolean): void {
  const iptables = (...args: string[]): void =>
    void execFileSync('ip', ['netns', 'exec', lb, 'iptables-nft', '-t', 'mangle', ...args], {
      stdio: 'ignore',
    });
  try {
    iptables('-F', CONNTRACK_ONLY_CHAIN);
    iptables('-X', CONNTRACK_ONLY_CHAIN);
  } catch {
    // not there
  }
  if (!on) return;
  iptables('-N', CONNTRACK_ONLY_CHAIN);
  iptables('-A', CONNTRACK_ONLY_CHAIN, '-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP');
}

async function configure(topology: Topology, variant: Variant): Promise<void> {
  const lb = topology.lb;
  setConntrackOnly(lb, variant === 'kernel_conntrack');
  if (variant === 'kernel' || variant === 'kernel_conntrack') {
    await removeLbChains({ netns: lb });
    const hops = Array.from({ length: TARGETS }, (_, i) => ['nexthop', 'via', `10.1.${i + 1}.2`]).flat();
    execFileSync('ip', ['-n', lb, 'route', 'replace', `${VIP4}/32`, ...hops]);
    return;
  }
  execFileSync('ip', ['-n', lb, 'route', 'replace', 'blackhole', `${VIP4}/32`]);
  // From scratch each time: the per-target variant's POSTROUTING chain must not outlive it.
  await removeLbChains({ netns: lb });
  if (variant === 'lb_pinned_per_target' || variant === 'lb_pinned_per_target_n100') {
    applyPerTargetRules(lb, variant === 'lb_pinned_per_target' ? TARGETS : 100);
  } else {
    await applyLbChains({
      netns: lb,
      vips: [VIP4],
      queue: QUEUE_OF[variant],
      pinning: variant === 'lb_pinned',
    });
  }
  if (variant.startsWith('lb_pinned')) {
    // Fresh flows: their first packets go through the queue during the warm-up, then the marks hold.
    try {
      execFileSync('ip', ['netns', 'exec', lb, 'conntrack', '-F'], { stdio: 'ignore' });
    } catch {
      // conntrack tool missing: the flows are simply already pinned
    }
  }
}

function blast(topology: Topology, seconds: number, pps: number): Promise<number> {
  const child = spawn('ip', [
    'netns',
    'exec',
    topology.client,
    ...PINNED(0),
    join(binaries, 'blaster'),
    VIP4,
    `${SINK_PORT}`,
    `${FLOWS}`,
    `${seconds}`,
    `${pps}`,
  ]);
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done, fail) => {
    child.once('exit', (code) =>
      code === 0 ? done(Number(output.trim())) : fail(new Error(`blaster exited with ${code}`)),
    );
  });
}

/** Packets per second the LB forwards while the sender runs at full speed. */
async function measurePps(
  topology: Topology,
): Promise<{ pps: number; offered: number; perTarget: number[] }> {
  const seconds = (WARMUP_MS + WINDOW_MS + 500) / 1000;
  const sending = blast(topology, seconds, 0);
  await sleep(WARMUP_MS);
  const before = forwardedPerTarget(topology.lb, TARGETS);
  await sleep(WINDOW_MS);
  const after = forwardedPerTarget(topology.lb, TARGETS);
  const sent = await sending;
  const perTarget = after.map((count, i) => count - before[i]);
  const forwarded = perTarget.reduce((a, b) => a + b, 0);
  return { pps: forwarded / (WINDOW_MS / 1000), offered: sent / seconds, perTarget };
}

/** CPU of the queue process per forwarded packet at a fixed offered load. */
async function measureCpu(topology: Topology, pid: number): Promise<{ usPerPacket: number; pps: number }> {
  const seconds = (WARMUP_MS + 2 * WINDOW_MS + 500) / 1000;
  const sending = blast(topology, seconds, FIXED_PPS);
  await sleep(WARMUP_MS);
  const packetsBefore = forwardedPackets(topology.lb, TARGETS);
  const cpuBefore = processCpuNs(pid);
  await sleep(2 * WINDOW_MS);
  const cpu = processCpuNs(pid) - cpuBefore;
  const packets = forwardedPackets(topology.lb, TARGETS) - packetsBefore;
  await sending;
  return { usPerPacket: cpu / 1000 / packets, pps: packets / ((2 * WINDOW_MS) / 1000) };
}

function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

async function main(): Promise<void> {
  const reason = netnsUnavailableReason(['iptables-nft', 'cc', 'taskset', 'ping']);
  if (reason !== undefined) throw new Error(`bench:lb cannot run: ${reason}`);
  compile();
  const results: Record<string, number> = maglevFigures();
  log(`maglev: ${JSON.stringify(results)}`);

  const sandbox = netnsSandbox('lbb');
  const processes: QueueProcess[] = [];
  let topology: Topology | undefined;
  try {
    topology = buildTopology(sandbox.name, TARGETS);
    for (const target of topology.targets) {
      execFileSync('ip', [
        'netns',
        'exec',
        target,
        'iptables-nft',
        '-t',
        'raw',
        '-A',
        'PREROUTING',
        '-p',
        'udp',
        '--dport',
        `${SINK_PORT}`,
        '-j',
        'DROP',
      ]);
    }
    for (let identifier = 1; identifier <= TARGETS; identifier++) {
      topology.routeTarget(identifier, DEFAULTS.fwmarkOffset + identifier);
    }
    execFileSync('ip', [
      'netns',
      'exec',
      topology.lb,
      'sysctl',
      '-qw',
      'net.ipv4.fib_multipath_hash_policy=1',
    ]);
    const lbProcess = join(here, 'lb-process.js');
    const native = await startProcess(topology.lb, [process.execPath, lbProcess, 'native', `${QUEUE_OF.lb}`]);
    processes.push(native);
    processes.push(
      await startProcess(topology.lb, [process.execPath, lbProcess, 'pinned', `${QUEUE_OF.lb_pinned}`]),
    );
    processes.push(
      await startProcess(topology.lb, [process.execPath, lbProcess, 'jscb', `${QUEUE_OF.jscb}`]),
    );
    const cref = await startProcess(topology.lb, [
      join(binaries, 'cref'),
      `${QUEUE_OF.cref}`,
      `${DEFAULTS.fwmarkOffset}`,
      `${TARGETS}`,
    ]);
    processes.push(cref);

    const samples: Record<string, number[]> = {};
    const add = (key: string, value: number): void => void (samples[key] ??= []).push(value);
    for (let run = 1; run <= RUNS; run++) {
      for (const variant of [
        'kernel',
        'kernel_conntrack',
        'lb',
        'lb_pinned',
        'lb_pinned_per_target',
        'lb_pinned_per_target_n100',
        'jscb',
      ] as const) {
        await configure(topology, variant);
        const busy = await waitForQuiet(QUIET, 30_000);
        add('background_busy', busy);
        const { pps, offered, perTarget } = await measurePps(topology);
        add(`${variant}_pps`, pps);
        add(`${variant}_offered_pps`, offered);
        if (variant === 'lb')
          add('lb_target_max_over_mean', Math.max(...perTarget) / ((pps * (WINDOW_MS / 1000)) / TARGETS));
        log(
          `run ${run} ${variant}: ${Math.round(pps)} pps forwarded (offered ${Math.round(offered)}, machine ${Math.round(busy * 100)} % busy before)`,
        );
      }
      // Ratios within one run: on a shared machine the load drifts between runs more than within one.
      const last = (key: string): number => samples[key]?.at(-1) ?? Number.NaN;
      add('ratio_lb_pinned_over_kernel', last('lb_pinned_pps') / last('kernel_pps'));
      add('ratio_lb_pinned_over_kernel_conntrack', last('lb_pinned_pps') / last('kernel_conntrack_pps'));
      add('ratio_lb_pinned_per_target_over_kernel', last('lb_pinned_per_target_pps') / last('kernel_pps'));
      add(
        'ratio_lb_pinned_per_target_n100_over_kernel',
        last('lb_pinned_per_target_n100_pps') / last('kernel_pps'),
      );
      add('ratio_kernel_conntrack_over_kernel', last('kernel_conntrack_pps') / last('kernel_pps'));
      for (const [variant, pid] of [
        ['lb', native.pid],
        ['cref', cref.pid],
      ] as const) {
        await configure(topology, variant);
        add('background_busy', await waitForQuiet(QUIET, 30_000));
        const { usPerPacket, pps } = await measureCpu(topology, pid);
        add(`${variant}_us_per_pkt`, usPerPacket);
        add(`${variant}_fixed_load_pps`, pps);
        log(
          `run ${run} ${variant} at ${FIXED_PPS} pps offered: ${usPerPacket.toFixed(2)} µs/packet (${Math.round(pps)} pps)`,
        );
      }
    }
    for (const [key, values] of Object.entries(samples)) {
      results[key] = round(median(values), key.endsWith('_pps') ? 0 : 3);
    }
    results.runs = RUNS;
    results.fixed_offered_pps = FIXED_PPS;
  } finally {
    for (const queueProcess of processes) await queueProcess.stop();
    if (topology !== undefined) {
      setConntrackOnly(topology.lb, false);
      await removeLbChains({ netns: topology.lb }).catch(() => undefined);
    }
    sandbox.cleanup();
  }
  const ordered = [
    'kernel_pps',
    'lb_pps',
    'lb_pinned_pps',
    'kernel_conntrack_pps',
    'lb_pinned_per_target_pps',
    'lb_pinned_per_target_n100_pps',
    'jscb_pps',
    'lb_us_per_pkt',
    'cref_us_per_pkt',
    'maglev_build_ms_m65537_n100',
    'maglev_build_ms_m655373_n1000',
    'balance_max_over_mean',
    'disruption_pct_remove_1_of_100',
  ];
  const summary: Record<string, number> = {};
  for (const key of ordered) summary[key] = results[key];
  for (const [key, value] of Object.entries(results)) if (!(key in summary)) summary[key] = value;
  log(JSON.stringify(summary));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

/**
 * Benchmark (not a test): the time to set up one veth pair between two namespaces with an IPv4 and an
 * IPv6 (nodad) address on each end and both ends up, through sdk/kernel versus iproute2 commands (one
 * `ip` process per step, as a naive forwarder would run them). 100 pairs each, in the same run.
 * Prints one JSON line: {"netlink_setup_p50_ms":…, "iproute2_setup_p50_ms":…, …}. Needs root.
 */
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { createKernel, type NetnsHandle } from '../../sdk/kernel/index.js';

const PAIRS = 100;
const prefix = `kbench${process.pid}-`;

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return Math.round(sorted[Math.max(0, at)] * 1000) / 1000;
}

/** Addresses of pair i: 10.<hi>.<lo>.1|2/30 and fd00:<i>::1|2/64. */
function addressesOf(i: number): { v4: [string, string]; v6: [string, string] } {
  const base = i * 4;
  const net = `10.${100 + (base >> 16)}.${(base >> 8) & 255}`;
  return {
    v4: [`${net}.${(base & 255) + 1}/30`, `${net}.${(base & 255) + 2}/30`],
    v6: [`fd00:${i.toString(16)}::1/64`, `fd00:${i.toString(16)}::2/64`],
  };
}

async function viaNetlink(client: NetnsHandle, endpoint: NetnsHandle, i: number): Promise<void> {
  const { v4, v6 } = addressesOf(i);
  const end = await client.links.createVeth({
    name: `nl${i}c`,
    up: true,
    peer: { name: `nl${i}e`, namespace: endpoint },
  });
  const peerIndex = end.peerIndex ?? (await endpoint.links.indexOf(`nl${i}e`));
  await endpoint.links.setUp(peerIndex);
  await client.addresses.add(end.index, v4[0]);
  await client.addresses.add(end.index, v6[0], { nodad: true });
  await endpoint.addresses.add(peerIndex, v4[1]);
  await endpoint.addresses.add(peerIndex, v6[1], { nodad: true });
}

function viaIproute2(client: string, endpoint: string, i: number): void {
  const { v4, v6 } = addressesOf(i);
  const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'ignore' });
  ip(
    '-n',
    client,
    'link',
    'add',
    `ip${i}c`,
    'up',
    'type',
    'veth',
    'peer',
    'name',
    `ip${i}e`,
    'netns',
    endpoint,
  );
  ip('-n', endpoint, 'link', 'set', `ip${i}e`, 'up');
  ip('-n', client, 'addr', 'add', v4[0], 'dev', `ip${i}c`);
  ip('-n', client, 'addr', 'add', v6[0], 'dev', `ip${i}c`, 'nodad');
  ip('-n', endpoint, 'addr', 'add', v4[1], 'dev', `ip${i}e`);
  ip('-n', endpoint, 'addr', 'add', v6[1], 'dev', `ip${i}e`, 'nodad');
}

async function main(): Promise<void> {
  const kernel = createKernel();
  const names = ['nlc', 'nle', 'ipc', 'ipe'].map((suffix) => `${prefix}${suffix}`);
  try {
    for (const name of names) kernel.createNamespace(name);
    const [nlClient, nlEndpoint, ipClient, ipEndpoint] = names;
    const client = kernel.netns(nlClient);
    const endpoint = kernel.netns(nlEndpoint);
    const netlink: number[] = [];
    const iproute2: number[] = [];
    for (let i = 0; i < PAIRS; i++) {
      let start = performance.now();
      await viaNetlink(client, endpoint, i);
      netlink.push(performance.now() - start);
      start = performance.now();
      viaIproute2(ipClient, ipEndpoint, i);
      iproute2.push(performance.now() - start);
    }
    console.log(
      JSON.stringify({
        netlink_setup_p50_ms: percentile(netlink, 50),
        iproute2_setup_p50_ms: percentile(iproute2, 50),
        netlink_setup_p99_ms: percentile(netlink, 99),
        iproute2_setup_p99_ms: percentile(iproute2, 99),
        pairs: PAIRS,
      }),
    );
  } finally {
    for (const name of names) kernel.deleteNamespace(name);
    kernel.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});

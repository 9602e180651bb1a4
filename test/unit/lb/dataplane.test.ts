import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import pino from 'pino';

import { LbDataplane, type ChainState, type DataplanePorts } from '../../../endpoints/lb/index.js';
import { fileConfigSource } from '../../../sdk/config/index.js';
import { resolveMaglevConfig } from '../../../sdk/maglev/index.js';
import { followVips } from '../../../sdk/middleware/vip-route/index.js';
import type { NfQueueStats } from '../../../sdk/nfqueue/index.js';

const logger = pino({ level: 'silent' });
const maglev = resolveMaglevConfig({ maxTargets: 10, tableSize: 1009 });

/** Records every kernel step in order; `failChains` makes the next chain rebuilds fail. */
class RecordingPorts implements DataplanePorts {
  readonly log: string[] = [];
  blackholes = new Set<string>();
  chains: ChainState | undefined;
  failChains = 0;
  queueOpen = false;

  async applyChains(state: ChainState): Promise<void> {
    if (this.failChains > 0) {
      this.failChains--;
      this.log.push('chains!');
      throw new Error('iptables-nft-restore failed');
    }
    this.log.push(`chains vips=[${state.vips.join(',')}]`);
    this.chains = state;
  }

  async removeChains(): Promise<void> {
    this.log.push('chains-');
    this.chains = undefined;
  }

  async addBlackholes(vips: readonly string[]): Promise<void> {
    this.log.push(`blackholes+ [${vips.join(',')}]`);
    for (const vip of vips) this.blackholes.add(vip);
  }

  async setBlackholes(vips: readonly string[]): Promise<void> {
    this.log.push(`blackholes= [${vips.join(',')}]`);
    this.blackholes = new Set(vips);
  }

  async forgetFlows(identifiers: readonly number[]): Promise<void> {
    this.log.push(`forget [${identifiers.join(',')}]`);
  }

  openQueue(): { stats(): NfQueueStats; close(): void } {
    this.log.push('queue+');
    this.queueOpen = true;
    return {
      stats: () => {
        throw new Error('no packets in a unit test');
      },
      close: () => {
        this.log.push('queue-');
        this.queueOpen = false;
      },
    };
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let attempt = 0; attempt < 500; attempt++) {
    if (condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

describe('LbDataplane', () => {
  it('opens the queue before it rebuilds the chains empty, then forgets every pinned flow a killed LB left', async () => {
    const ports = new RecordingPorts();
    const dataplane = await LbDataplane.open({ maglev, pinning: true, logger }, ports);
    expect(ports.log).toEqual(['queue+', 'chains vips=[]', 'forget [1,2,3,4,5,6,7,8,9,10]']);
    // The first table is published empty: every flow is dropped until a target is active.
    expect(dataplane.table.generation).toBe(1);
    expect(new Set(dataplane.table.entries())).toEqual(new Set([0]));
  });

  it('adds a VIP blackhole before the queue rule, and drops a removed VIP from the chains before its blackhole', async () => {
    const ports = new RecordingPorts();
    const dataplane = await LbDataplane.open({ maglev, pinning: true, logger }, ports);
    ports.log.length = 0;
    await dataplane.setVips(['20.0.0.1/32']);
    await dataplane.setVips(['2000::1/128']);
    expect(ports.log).toEqual([
      'blackholes+ [20.0.0.1/32]',
      'chains vips=[20.0.0.1/32]',
      'blackholes= [20.0.0.1/32]',
      'blackholes+ [2000::1/128]',
      'chains vips=[2000::1/128]',
      'blackholes= [2000::1/128]',
    ]);
    expect(dataplane.appliedVips()).toEqual(['2000::1/128']);
  });

  it('publishes the Maglev table of the active set without touching the chains, and with pinning forgets the flows of the leavers after the table without them', async () => {
    const ports = new RecordingPorts();
    const dataplane = await LbDataplane.open({ maglev, pinning: true, logger }, ports);
    await dataplane.setVips(['20.0.0.1/32']);
    ports.log.length = 0;
    await dataplane.setActive([3, 1]);
    expect(new Set(dataplane.table.entries())).toEqual(new Set([1, 3]));
    expect(dataplane.activeIdentifiers()).toEqual([1, 3]);
    expect(ports.log).toEqual([]);
    let tableWhenForgetting: Set<number> | undefined;
    const forget = ports.forgetFlows.bind(ports);
    ports.forgetFlows = async (identifiers) => {
      tableWhenForgetting = new Set(dataplane.table.entries());
      await forget(identifiers);
    };
    await dataplane.setActive([3]);
    expect(new Set(dataplane.table.entries())).toEqual(new Set([3]));
    expect(tableWhenForgetting).toEqual(new Set([3]));
    expect(ports.log).toEqual(['forget [1]']);
  });

  it('stateless: neither chains nor conntrack change when targets come and go', async () => {
    const ports = new RecordingPorts();
    const dataplane = await LbDataplane.open({ maglev, pinning: false, logger }, ports);
    expect(ports.log).toEqual(['queue+', 'chains vips=[]']);
    ports.log.length = 0;
    await dataplane.setActive([2]);
    await dataplane.setActive([]);
    expect(ports.log).toEqual([]);
    expect(new Set(dataplane.table.entries())).toEqual(new Set([0]));
  });

  it('close removes the chains, then stops the queue, then removes the blackholes', async () => {
    const ports = new RecordingPorts();
    const dataplane = await LbDataplane.open({ maglev, pinning: true, logger }, ports);
    await dataplane.setVips(['20.0.0.1/32']);
    ports.log.length = 0;
    await dataplane.close();
    expect(ports.log).toEqual(['chains-', 'queue-', 'blackholes= []']);
    expect(ports.blackholes.size).toBe(0);
  });

  it('applies VIP additions and removals from the configuration file without a restart, retries a failed apply, and ignores invalid input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-vips-'));
    const path = join(dir, 'meridio.conf');
    const source = fileConfigSource({ path, logger });
    const ports = new RecordingPorts();
    const dataplane = await LbDataplane.open({ maglev, pinning: true, logger }, ports);
    const stop = new AbortController();
    const following = followVips({
      source,
      initial: ['20.0.0.1/32'],
      apply: (vips) => dataplane.setVips(vips),
      signal: stop.signal,
      logger,
      retryMs: 10,
    });
    try {
      // Until the file exists, the settings' VIPs are in force.
      await until(() => ports.chains?.vips.join() === '20.0.0.1/32', 'the settings VIP');

      writeFileSync(path, 'vips: [20.0.0.1/32, 2000::1/128]\n');
      await until(() => ports.chains?.vips.length === 2, 'the added VIP');
      expect([...ports.blackholes].sort()).toEqual(['20.0.0.1/32', '2000::1/128']);

      // The next rebuild fails once: the same configuration is applied again until it holds.
      ports.failChains = 1;
      writeFileSync(path, 'vips: [2000::1/128]\n');
      await until(() => ports.log.at(-1) === 'blackholes= [2000::1/128]', 'the removal, after a retry');
      expect(ports.log).toContain('chains!');
      expect(ports.chains?.vips).toEqual(['2000::1/128']);
      expect([...ports.blackholes]).toEqual(['2000::1/128']);

      const before = ports.log.length;
      const notices = source.notices(stop.signal)[Symbol.asyncIterator]();
      writeFileSync(path, 'vips: [not-a-cidr]\n');
      const notice = await notices.next();
      expect(notice.value).toEqual(expect.objectContaining({ kind: 'rejected' }));
      expect(dataplane.appliedVips()).toEqual(['2000::1/128']);
      writeFileSync(path, 'vips: [2000::1/128, 30.0.0.1/32]\n');
      await until(() => ports.chains?.vips.length === 2, 'the VIP after the invalid file');
      // The invalid file changed nothing: the next rebuild already holds the valid file's VIPs.
      expect(ports.log.slice(before).filter((line) => line.startsWith('chains'))).toEqual([
        'chains vips=[2000::1/128,30.0.0.1/32]',
      ]);
    } finally {
      stop.abort();
      await following;
      await source.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { execFileSync } from 'node:child_process';
import { InvalidArgumentError } from '../../../sdk/core/index.js';
import {
  applyLbChains,
  IptablesError,
  listLbRules,
  removeLbChains,
} from '../../../sdk/kernel/iptables/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

// As `iptables -S` prints them: built-in chains first, then ours in alphabetical order.
// The pinned rules are the same for any set of targets: nothing here names one.
const V4 = [
  '-N MERIDIO-LB-PRE',
  '-N MERIDIO-LB-VIP',
  '-A PREROUTING -j MERIDIO-LB-PRE',
  '-A MERIDIO-LB-PRE -d 20.0.0.1/32 -j MERIDIO-LB-VIP',
  '-A MERIDIO-LB-PRE -d 20.0.1.0/24 -j MERIDIO-LB-VIP',
  '-A MERIDIO-LB-VIP -m mark ! --mark 0x0 -j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff',
  '-A MERIDIO-LB-VIP -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff',
  '-A MERIDIO-LB-VIP -m mark ! --mark 0x0 -j RETURN',
  '-A MERIDIO-LB-VIP -j NFQUEUE --queue-num 2 --queue-bypass',
];

skipUnlessRoot('the LB iptables chain tests', ['iptables-nft'])('LB mangle chains', () => {
  const sandbox = useNetnsSandbox('lbipt');
  const iptables = (netns: string, ...args: string[]): string =>
    execFileSync('ip', ['netns', 'exec', netns, 'iptables-nft', ...args], { encoding: 'utf8' });
  const options = { vips: ['20.0.0.1', '20.0.1.0/24', 'fd00:20::1'], queue: 2 };

  it('builds the pinned chains in both families, and rebuilds them without duplicates', async () => {
    const netns = sandbox.name('lb');
    execFileSync('ip', ['netns', 'add', netns]);
    iptables(netns, '-t', 'mangle', '-A', 'PREROUTING', '-s', '1.1.1.1', '-j', 'RETURN'); // not ours
    await applyLbChains({ netns, ...options });
    expect(await listLbRules(4, { netns })).toEqual(V4);
    expect(await listLbRules(6, { netns })).toContain(
      '-A MERIDIO-LB-PRE -d fd00:20::1/128 -j MERIDIO-LB-VIP',
    );
    expect(await listLbRules(6, { netns })).toContain('-A MERIDIO-LB-VIP -m mark ! --mark 0x0 -j RETURN');

    // A restart after kill -9 applies again onto whatever is left, including rules it no longer wants.
    iptables(netns, '-t', 'mangle', '-A', 'MERIDIO-LB-VIP', '-j', 'DROP');
    await applyLbChains({ netns, ...options });
    await applyLbChains({ netns, ...options });
    expect(await listLbRules(4, { netns })).toEqual(V4);
    expect(iptables(netns, '-t', 'mangle', '-S', 'PREROUTING')).toContain(
      '-A PREROUTING -s 1.1.1.1/32 -j RETURN',
    );

    await removeLbChains({ netns });
    expect(await listLbRules(4, { netns })).toEqual([]);
    expect(await listLbRules(6, { netns })).toEqual([]);
    expect(iptables(netns, '-t', 'mangle', '-S', 'PREROUTING')).toContain(
      '-A PREROUTING -s 1.1.1.1/32 -j RETURN',
    );
    await removeLbChains({ netns }); // nothing left to remove is fine
  });

  it('removes the POSTROUTING chain an LB of the per-target design left', async () => {
    const netns = sandbox.name('lb');
    execFileSync('ip', ['netns', 'add', netns]);
    iptables(netns, '-t', 'mangle', '-N', 'MERIDIO-LB-POST');
    iptables(
      netns,
      '-t',
      'mangle',
      '-A',
      'MERIDIO-LB-POST',
      '-d',
      '20.0.0.1',
      '-j',
      'CONNMARK',
      '--save-mark',
    );
    iptables(netns, '-t', 'mangle', '-A', 'POSTROUTING', '-j', 'MERIDIO-LB-POST');
    await applyLbChains({ netns, ...options });
    await removeLbChains({ netns });
    expect(await listLbRules(4, { netns })).toEqual([]);
  });

  it('builds the stateless chains: every VIP packet is queued, no conntrack marks', async () => {
    const netns = sandbox.name('lb');
    execFileSync('ip', ['netns', 'add', netns]);
    await applyLbChains({ netns, ...options });
    await applyLbChains({
      netns,
      ...options,
      pinning: false,
      queueCount: 4,
      bypass: false,
      chainPrefix: 'MERIDIO-LB',
    });
    expect(await listLbRules(4, { netns })).toEqual([
      '-N MERIDIO-LB-PRE',
      '-N MERIDIO-LB-VIP',
      '-A PREROUTING -j MERIDIO-LB-PRE',
      '-A MERIDIO-LB-PRE -d 20.0.0.1/32 -j MERIDIO-LB-VIP',
      '-A MERIDIO-LB-PRE -d 20.0.1.0/24 -j MERIDIO-LB-VIP',
      '-A MERIDIO-LB-VIP -j NFQUEUE --queue-balance 2:5',
    ]);
    await removeLbChains({ netns });
  });

  it('refuses invalid input with a clear error, and names a failing command', async () => {
    await expect(applyLbChains({ ...options, vips: ['20.0.0.300'] })).rejects.toThrow(InvalidArgumentError);
    await expect(applyLbChains({ ...options, vips: ['20.0.0.1/33'] })).rejects.toThrow(
      /"20.0.0.1\/33" is not a valid VIP/,
    );
    await expect(applyLbChains({ ...options, queue: 65536 })).rejects.toThrow(
      /queue number must be an integer/,
    );
    await expect(applyLbChains({ ...options, chainPrefix: 'A-VERY-LONG-CHAIN-PREFIX' })).rejects.toThrow(
      /at most 20/,
    );
    const missing = sandbox.name('missing');
    await expect(applyLbChains({ ...options, netns: missing })).rejects.toThrow(IptablesError);
    await expect(applyLbChains({ ...options, netns: missing })).rejects.toThrow(
      `in network namespace ${missing} failed`,
    );
  });
});

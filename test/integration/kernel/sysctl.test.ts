import { readFileSync } from 'node:fs';
import { KernelInvalidArgumentError, KernelNotFoundError } from '../../../sdk/kernel/index.js';
import { execIn, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

skipUnlessRoot('kernel sysctl tests')('per-namespace sysctls', () => {
  const sandbox = useNetnsSandbox('ksy');

  it('sets and reads net.* values inside one namespace only, per interface too', async () => {
    const a = sandbox.create('a').name;
    const b = sandbox.create('b').name;
    const hostForwarding = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
    const handle = sandbox.kernel.netns(a);
    handle.sysctl.set('net.ipv6.conf.all.forwarding', 1);
    handle.sysctl.set('net.ipv4.conf.all.rp_filter', '0');
    handle.sysctl.set('net.ipv4.fib_multipath_hash_policy', 1);
    expect(handle.sysctl.get('net.ipv4.fib_multipath_hash_policy')).toBe('1');
    expect(execIn(a, 'cat', '/proc/sys/net/ipv6/conf/all/forwarding').output.trim()).toBe('1');
    expect(execIn(a, 'cat', '/proc/sys/net/ipv4/fib_multipath_hash_policy').output.trim()).toBe('1');
    expect(execIn(b, 'cat', '/proc/sys/net/ipv4/fib_multipath_hash_policy').output.trim()).toBe('0');

    await handle.links.createVeth({ name: 'eth0.5', peer: { name: 'p0' } });
    handle.sysctl.set('net/ipv4/conf/eth0.5/rp_filter', 2);
    expect(execIn(a, 'cat', '/proc/sys/net/ipv4/conf/eth0.5/rp_filter').output.trim()).toBe('2');
    expect(handle.sysctl.get('net/ipv4/conf/eth0.5/rp_filter')).toBe('2');

    expect(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim()).toBe(hostForwarding);
  });

  it('rejects keys outside net. and reports a missing key as NotFound naming the namespace', () => {
    const a = sandbox.create('a').name;
    const { sysctl } = sandbox.kernel.netns(a);
    expect(() => sysctl.set('kernel.hostname', 'x')).toThrow(KernelInvalidArgumentError);
    expect(() => sysctl.set('net.ipv4.../../../kernel/hostname', 'x')).toThrow(KernelInvalidArgumentError);
    expect(() => sysctl.get('net.ipv4.no_such_key')).toThrow(KernelNotFoundError);
    expect(() => sysctl.get('net.ipv4.no_such_key')).toThrow(
      `Cannot read sysctl net.ipv4.no_such_key in network namespace '${a}': it does not exist (ENOENT).`,
    );
  });
});

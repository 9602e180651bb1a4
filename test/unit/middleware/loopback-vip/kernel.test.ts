import { LoopbackVips } from '../../../../sdk/middleware/loopback-vip/index.js';
import { execIn, ipJson, skipUnlessRoot, useNetnsSandbox } from '../../../helpers/netns.js';

interface JsonLink {
  ifname: string;
  flags: string[];
  addr_info: { local: string; prefixlen: number }[];
}

function loopback(netns: string): { up: boolean; addresses: string[] } {
  const [lo] = ipJson<JsonLink[]>(netns, 'addr', 'show', 'dev', 'lo');
  return {
    up: lo!.flags.includes('UP'),
    addresses: lo!.addr_info.map((a) => `${a.local}/${a.prefixlen}`).sort(),
  };
}

skipUnlessRoot('loopback VIPs against the kernel', ['ping'])('LoopbackVips in a network namespace', () => {
  const namespaces = useNetnsSandbox('lovip');

  it('puts the VIPs on a fresh namespace loopback (bringing it up), follows changes and takes them off', async () => {
    const target = namespaces.create('target');
    const vips = new LoopbackVips({ netns: namespaces.kernel.netns(target.name) });
    await vips.setVips(['20.0.0.1/32', '2000::1/128']);
    expect(loopback(target.name).up).toBe(false);
    await vips.hold('connection-1');
    expect(loopback(target.name)).toEqual({
      up: true,
      addresses: ['127.0.0.1/8', '20.0.0.1/32', '2000::1/128', '::1/128'],
    });
    expect(execIn(target.name, 'ping', '-c', '1', '-W', '2', '20.0.0.1').status).toBe(0);
    await vips.setVips(['2000::1/128', '30.0.0.0/24']);
    expect(loopback(target.name).addresses).toEqual(['127.0.0.1/8', '2000::1/128', '30.0.0.0/24', '::1/128']);
    expect(execIn(target.name, 'ping', '-c', '1', '-W', '2', '30.0.0.77').status).toBe(0);
    await vips.release('connection-1');
    expect(loopback(target.name).addresses).toEqual(['127.0.0.1/8', '::1/128']);
  });
});

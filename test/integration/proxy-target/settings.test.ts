import { TARGET_SETTINGS } from '../../../clients/target/index.js';
import {
  bridgeMac,
  endpointNameOf,
  listenAddressOf,
  PROXY_SETTINGS,
  subnetRequests,
} from '../../../endpoints/proxy/index.js';
import { parseSettings, settingsHelp } from '../../../sdk/settings/index.js';

describe('proxy settings', () => {
  it("reads Meridio's environment variable names and the same names as flags", () => {
    const parsed = parseSettings(
      PROXY_SETTINGS,
      ['--host', 'worker-2', '--vips', '20.0.0.1/32,2000:0::1/128'],
      {
        NSM_NAME: 'proxy-a',
        NSM_CONNECT_TO: 'unix:///run/nsm.sock',
        NSM_IPAM_SERVICE: 'ipam:7777',
        NSM_NSP_SERVICE: 'nsp:7778',
        NSM_SUBNET_POOLS: '169.255.0.0/16,fd00::/48',
        NSM_SUBNET_PREFIX_LENGTHS: '24,64',
        NSM_CONFIG_MAP_NAME: 'conf',
        NSM_NAMESPACE: 'red',
        NSM_HOST: 'ignored-for-the-flag',
      },
    );
    expect(parsed.kind).toBe('values');
    const values = (parsed as { values: Record<string, unknown> }).values;
    expect(values).toMatchObject({
      name: 'proxy-a',
      host: 'worker-2',
      connectTo: 'unix:///run/nsm.sock',
      subnetPools: ['169.255.0.0/16', 'fd00::/48'],
      subnetPrefixLengths: [24, 64],
      vips: ['20.0.0.1/32', '2000::1/128'],
      configMapName: 'conf',
      namespace: 'red',
    });
    const help = settingsHelp(PROXY_SETTINGS, { usage: 'meridio proxy', summary: '' });
    for (const name of [
      'NSM_NAME',
      'NSM_CONNECT_TO',
      'NSM_HOST',
      'NSM_IPAM_SERVICE',
      'NSM_NSP_SERVICE',
      'NSM_SUBNET_POOLS',
      'NSM_SUBNET_PREFIX_LENGTHS',
      'NSM_VIPS',
      'NSM_CONFIG_MAP_NAME',
      'NSM_NAMESPACE',
      '--config-file',
      '--netns',
    ]) {
      expect(help).toContain(name);
    }
  });

  it('refuses a pool with host bits, and pools and lengths that do not pair up', () => {
    expect(() => parseSettings(PROXY_SETTINGS, ['--subnet-pools', '172.16.0.1/16'], {})).toThrow(/host bits/);
    expect(() => subnetRequests(['172.16.0.0/16'], [24, 64])).toThrow(/1 pools and 2 lengths/);
    expect(() => subnetRequests(['172.16.0.0/16', '10.0.0.0/8'], [24, 24])).toThrow(/two ipv4 pools/);
    expect(() => subnetRequests(['172.16.0.0/16'], [16])).toThrow(/longer than the pool's \/16/);
    expect(() => subnetRequests(['fd00::/48'], [127])).toThrow(/at most \/126/);
    expect(subnetRequests(['172.16.0.0/16', 'fd00::/48'], [24, 64])).toEqual([
      { pool: '172.16.0.0/16', prefixLength: 24 },
      { pool: 'fd00::/48', prefixLength: 64 },
    ]);
  });

  it('names the endpoint and its socket after the node unless told otherwise', () => {
    expect(endpointNameOf({ name: '', host: 'worker-2' })).toBe('proxy-worker-2');
    expect(endpointNameOf({ name: 'p1', host: 'worker-2' })).toBe('p1');
    expect(() => endpointNameOf({ name: 'a b', host: 'x' })).toThrow(/must start with a letter or digit/);
    expect(listenAddressOf({ listen: '' }, 'proxy-worker-2')).toBe(
      'unix:///var/lib/meridio/proxy-worker-2.sock',
    );
    expect(listenAddressOf({ listen: '[::]:5003' }, 'p')).toBe('[::]:5003');
    expect(() => listenAddressOf({ listen: 'unix://relative' }, 'p')).toThrow(/NSM_LISTEN/);
  });

  it("derives a stable, locally administered unicast MAC for the bridge from the node's name", () => {
    const mac = bridgeMac('worker-2');
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    expect(bridgeMac('worker-2')).toBe(mac);
    expect(bridgeMac('worker-3')).not.toBe(mac);
    const first = parseInt(mac.slice(0, 2), 16);
    expect(first & 0x02).toBe(0x02);
    expect(first & 0x01).toBe(0);
  });
});

describe('target settings', () => {
  it("reads Meridio's names and refuses a VIP with host bits", () => {
    const parsed = parseSettings(TARGET_SETTINGS, ['--netns', 'pod-a'], {
      NSM_VIPS: '20.0.0.1/32',
      NSM_PROXY_NETWORK_SERVICE_NAME: 'proxy.conduit',
      NSM_HOST: 'worker-1',
    });
    expect((parsed as { values: Record<string, unknown> }).values).toMatchObject({
      vips: ['20.0.0.1/32'],
      proxyNetworkServiceName: 'proxy.conduit',
      host: 'worker-1',
      netns: 'pod-a',
    });
    expect(() => parseSettings(TARGET_SETTINGS, [], { NSM_VIPS: '20.0.0.1/24' })).toThrow(/host bits/);
  });
});

import {
  checkSpec,
  checkVip,
  checkVips,
  ctrafficName,
  EXTERNAL_NETWORK,
  externalNamespace,
  gatewayNamespace,
  initialLbs,
  initialProxies,
  lbPlan,
  LocalUsageError,
  planScale,
  SYSCTLS,
  targetPlan,
  type TargetPlan,
} from '../../../endpoints/local/index.js';

const nodes = ['node-1', 'node-2'];

function names(plans: readonly TargetPlan[]): string[] {
  return plans.map((plan) => `${plan.name}@${plan.node}`);
}

describe('meridio local topology plan', () => {
  test('names every namespace after the prefix and gives each LB its place on the gateway bridge', () => {
    expect(externalNamespace('m')).toBe('m-ext');
    expect(gatewayNamespace('m')).toBe('m-gw');
    expect(initialLbs({ prefix: 'm', lbs: 2, proxies: 1, targets: 0 })).toEqual([
      {
        name: 'lb-1',
        namespace: 'm-lb-1',
        gatewayLink: 'lb-1',
        link: 'ext0',
        addresses: { ipv4: '10.10.0.11', ipv6: 'fd10:10::11' },
      },
      lbPlan('m', 2),
    ]);
    expect(initialProxies({ prefix: 'm', lbs: 1, proxies: 2, targets: 0 })).toEqual([
      { name: 'proxy-1', namespace: 'm-proxy-1', node: 'node-1' },
      { name: 'proxy-2', namespace: 'm-proxy-2', node: 'node-2' },
    ]);
    expect(ctrafficName('target-3')).toBe('ctraffic-target-3');
    expect(EXTERNAL_NETWORK.hostAddresses).toEqual({ ipv4: '10.20.0.2', ipv6: 'fd10:20::2' });
  });

  test('spreads new targets over the least loaded nodes, lowest free index first', () => {
    const four = planScale('m', [], 4, nodes);
    expect(four.remove).toEqual([]);
    expect(names(four.add)).toEqual([
      'target-1@node-1',
      'target-2@node-2',
      'target-3@node-1',
      'target-4@node-2',
    ]);
    const six = planScale('m', four.add, 6, nodes);
    expect(names(six.add)).toEqual(['target-5@node-1', 'target-6@node-2']);
    expect(six.add[0]).toEqual({ index: 5, name: 'target-5', namespace: 'm-target-5', node: 'node-1' });
  });

  test('removes the newest targets first, and refills the gaps it left', () => {
    const six = planScale('m', [], 6, nodes).add;
    const three = planScale('m', six, 3, nodes);
    expect(three.add).toEqual([]);
    expect(three.remove.map((t) => t.name)).toEqual(['target-6', 'target-5', 'target-4']);
    const left = [targetPlan('m', 1, 'node-1'), targetPlan('m', 3, 'node-1')];
    expect(names(planScale('m', left, 4, nodes).add)).toEqual(['target-2@node-2', 'target-4@node-2']);
    expect(planScale('m', left, 2, nodes)).toEqual({ add: [], remove: [] });
  });

  test('rejects sizes and prefixes it cannot build, with a sentence naming the flag', () => {
    expect(checkSpec({ prefix: 'meridio', lbs: 2, proxies: 2, targets: 4 })).toEqual({
      prefix: 'meridio',
      lbs: 2,
      proxies: 2,
      targets: 4,
    });
    expect(() => checkSpec({ prefix: 'm', lbs: 0, proxies: 1, targets: 1 })).toThrow(
      /--lbs must be a whole number from 1 to 50, not 0\./,
    );
    expect(() => checkSpec({ prefix: 'm', lbs: 1, proxies: 1, targets: 101 })).toThrow(
      /--targets .* 0 to 100/,
    );
    expect(() => checkSpec({ prefix: 'Bad_prefix', lbs: 1, proxies: 1, targets: 1 })).toThrow(
      LocalUsageError,
    );
  });

  test('VIPs: canonical CIDRs, clear of the instance networks, no duplicates', () => {
    expect(checkVip(' 2000:0::1/128 ').cidr).toBe('2000::1/128');
    expect(checkVips(['20.0.0.1/32', '2000::1/128']).map((v) => v.family)).toEqual(['ipv4', 'ipv6']);
    expect(() => checkVip('20.0.0.1/24')).toThrow(/host bits are set/);
    expect(() => checkVip('20.0.0.1')).toThrow(/prefix length is missing/);
    expect(() => checkVip('10.10.0.5/32')).toThrow('The VIP 10.10.0.5/32 overlaps 10.10.0.0/24');
    expect(() => checkVip('172.16.3.0/24')).toThrow(/overlaps 172\.16\.0\.0\/16/);
    expect(() => checkVip('fd00::5/128')).toThrow(/overlaps fd00::\/48/);
    expect(() => checkVip('0.0.0.0/0')).toThrow(/overlaps/);
    expect(() => checkVips(['20.0.0.1/32', '20.0.0.1/32'])).toThrow('The VIP 20.0.0.1/32 is given twice.');
  });

  test('every namespace kind skips DAD; the gateway and proxies hash multipath by the symmetric five-tuple', () => {
    for (const kind of Object.keys(SYSCTLS) as (keyof typeof SYSCTLS)[]) {
      expect(SYSCTLS[kind]).toMatchObject({
        'net.ipv6.conf.all.accept_dad': 0,
        'net.ipv6.conf.default.accept_dad': 0,
      });
    }
    for (const kind of ['gateway', 'proxy'] as const) {
      expect(SYSCTLS[kind]).toMatchObject({
        'net.ipv4.fib_multipath_hash_policy': 3,
        'net.ipv4.fib_multipath_hash_fields': 0x37,
        'net.ipv6.fib_multipath_hash_policy': 3,
        'net.ipv6.fib_multipath_hash_fields': 0x37,
        'net.ipv4.conf.all.forwarding': 1,
        'net.ipv6.conf.all.forwarding': 1,
      });
    }
  });
});

import { clientPlan, endpointPlan } from '../../../endpoints/nsm/forwarder/index.js';
import { Code, codeOf, newIPContext } from '../../../sdk/core/index.js';

describe('what the forwarder configures on each end', () => {
  it('point-to-point host addresses: each end gets its address and a link route to the other', () => {
    const ip = newIPContext({
      src_ip_addrs: ['172.16.0.2/32', 'fd00::2/128'],
      dst_ip_addrs: ['172.16.0.1/32', 'fd00::1/128'],
      src_routes: [
        { prefix: '172.16.0.1/32', nextHop: '' },
        { prefix: '10.0.0.0/8', nextHop: '' },
      ],
      dst_routes: [{ prefix: '172.16.0.2/32', nextHop: '' }],
    });
    expect(clientPlan(ip)).toEqual({
      addresses: ['172.16.0.2/32', 'fd00::2/128'],
      routes: [
        { destination: '172.16.0.1/32' },
        { destination: 'fd00::1/128' },
        { destination: '10.0.0.0/8', gateway: '172.16.0.1' },
      ],
      policies: [],
    });
    expect(endpointPlan(ip)).toEqual({
      addresses: ['172.16.0.1/32', 'fd00::1/128'],
      routes: [{ destination: '172.16.0.2/32' }, { destination: 'fd00::2/128' }],
      policies: [],
    });
  });

  it('a shared subnet needs no link routes; an explicit nextHop wins', () => {
    const ip = newIPContext({
      src_ip_addrs: ['172.16.3.5/24'],
      dst_ip_addrs: ['172.16.3.1/24'],
      src_routes: [{ prefix: '20.0.0.1/32', nextHop: '172.16.3.9' }],
    });
    expect(clientPlan(ip).routes).toEqual([{ destination: '20.0.0.1/32', gateway: '172.16.3.9' }]);
  });

  it('an end without addresses has none, and routes without a peer of their family go onto the link', () => {
    const ip = newIPContext({
      src_ip_addrs: ['172.16.3.5/24'],
      dst_routes: [
        { prefix: '10.1.0.0/16', nextHop: '' },
        { prefix: 'fd00:1::/64', nextHop: '' },
      ],
    });
    expect(endpointPlan(ip)).toEqual({
      addresses: [],
      routes: [
        { destination: '172.16.3.5/32' },
        { destination: '10.1.0.0/16', gateway: '172.16.3.5' },
        { destination: 'fd00:1::/64' },
      ],
      policies: [],
    });
    expect(endpointPlan(null)).toEqual({ addresses: [], routes: [], policies: [] });
  });

  it('source policies go to the client side, each with its routes', () => {
    const ip = newIPContext({
      src_ip_addrs: ['172.16.0.2/32'],
      dst_ip_addrs: ['172.16.0.1/32'],
      policies: [
        {
          from: '20.0.0.1/32',
          proto: '',
          src_port: '',
          dst_port: '',
          routes: [{ prefix: '0.0.0.0/0', nextHop: '' }],
        },
        {
          from: '',
          proto: '',
          src_port: '',
          dst_port: '',
          routes: [{ prefix: 'fd00:9::/64', nextHop: 'fd00::7' }],
        },
      ],
    });
    expect(clientPlan(ip).policies).toEqual([
      { from: '20.0.0.1/32', families: [4], routes: [{ destination: '0.0.0.0/0', gateway: '172.16.0.1' }] },
      { from: '', families: [6], routes: [{ destination: 'fd00:9::/64', gateway: 'fd00::7' }] },
    ]);
    expect(endpointPlan(ip).policies).toEqual([]);
  });

  it.each([
    [newIPContext({ src_ip_addrs: ['not-an-address'] }), 'client address "not-an-address"'],
    [
      newIPContext({ src_routes: [{ prefix: '10.0.0.0/8', nextHop: 'fd00::1' }] }),
      'is IPv4 but its nextHop fd00::1 is IPv6',
    ],
    [
      newIPContext({
        policies: [{ from: '10.0.0.1', proto: 'tcp', src_port: '', dst_port: '80', routes: [] }],
      }),
      'source-prefix policies only',
    ],
  ])('refuses a context it cannot apply (%#)', (ip, message) => {
    let error: unknown;
    try {
      clientPlan(ip);
    } catch (caught) {
      error = caught;
    }
    expect(codeOf(error)).toBe(Code.INVALID_ARGUMENT);
    expect(String(error)).toContain(message);
  });
});

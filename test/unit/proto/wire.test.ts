import { ipamApi, networkServiceApi, nspApi, registryApi } from '../../../proto/index.js';
import type { Target__Output as Target } from '../../../proto/gen/nsp/Target.js';
import type { Connection, NetworkServiceRequest } from '../../../sdk/core/index.js';
import { bool, buffer, messageMapEntry, msg, str, stringMap, uint, varint } from './protobuf-writer.js';

/**
 * Bytes written by hand from the upstream field numbers (NSM api ad7e9c4, Meridio 50b3949), decoded with
 * the loaded definitions, and the definitions' own encoding compared with the same bytes. A renumbered,
 * retyped or renamed field fails here. Every field carries a non-default value, so proto3 writes it.
 */

const nsm = networkServiceApi();
const requestMethod = nsm.networkservice.NetworkService.service.Request;
const closeMethod = nsm.networkservice.NetworkService.service.Close;
const monitorMethod = nsm.connection.MonitorConnection.service.MonitorConnections;

const EXPIRES_SECONDS = 1893553445; // 2030-01-02T03:04:05Z

const connectionBytes = [
  str(1, 'conn-1'),
  str(2, 'load-balancer'),
  msg(
    3,
    str(1, 'LOCAL'),
    str(2, 'KERNEL'),
    ...[stringMap(3, { inodeURL: 'file:///proc/1/ns/net', name: 'nsm-1' })],
  ),
  msg(
    4,
    msg(
      1,
      str(1, '172.16.1.2/32'),
      str(1, 'fd00::2/128'),
      str(2, '172.16.1.1/32'),
      bool(3, true),
      bool(4, true),
      msg(5, str(1, '20.0.0.1/32'), str(2, '172.16.1.1')),
      msg(6, str(1, '172.16.1.2/32'), str(2, '172.16.1.2')),
      str(7, '10.96.0.0/12'),
      msg(8, str(1, '172.16.1.1'), str(2, '02:fe:00:00:00:01')),
      msg(9, msg(1, uint(1, 1)), uint(2, 64), uint(3, 1), uint(4, 2)),
      str(10, 'fd00:0:0:1::/64'),
      msg(
        11,
        str(1, '172.16.1.2/32'),
        str(2, '6'),
        str(3, '80'),
        str(4, '1024-65535'),
        msg(5, str(1, '0.0.0.0/0'), str(2, '172.16.1.1')),
      ),
    ),
    msg(2, msg(1, str(1, '10.96.0.10'), str(2, 'cluster.local'))),
    msg(3, str(1, '02:fe:00:00:00:01'), str(2, '02:fe:00:00:00:02'), uint(3, 100)),
    stringMap(4, { trench: 'trench-a' }),
    uint(5, 1450),
  ),
  stringMap(5, { app: 'ctraffic', nodeName: 'worker-1' }),
  msg(
    6,
    uint(1, 1),
    msg(
      2,
      str(1, 'nsc'),
      str(2, 'conn-1'),
      str(3, 'jwt-nsc'),
      msg(4, uint(1, EXPIRES_SECONDS), uint(2, 500_000_000)),
      stringMap(5, { rtt: '1ms' }),
    ),
    msg(
      2,
      str(1, 'nse'),
      str(2, 'conn-1-nse'),
      str(3, 'jwt-nse'),
      msg(4, uint(1, EXPIRES_SECONDS), uint(2, 1)),
      stringMap(5, { hops: '2' }),
    ),
  ),
  str(7, 'lb-fe-1'),
  str(8, 'ETHERNET'),
  uint(9, 2),
];

const connection: Connection = {
  id: 'conn-1',
  network_service: 'load-balancer',
  mechanism: {
    cls: 'LOCAL',
    type: 'KERNEL',
    parameters: { inodeURL: 'file:///proc/1/ns/net', name: 'nsm-1' },
  },
  context: {
    ip_context: {
      src_ip_addrs: ['172.16.1.2/32', 'fd00::2/128'],
      dst_ip_addrs: ['172.16.1.1/32'],
      src_ip_required: true,
      dst_ip_required: true,
      src_routes: [{ prefix: '20.0.0.1/32', nextHop: '172.16.1.1' }],
      dst_routes: [{ prefix: '172.16.1.2/32', nextHop: '172.16.1.2' }],
      excluded_prefixes: ['10.96.0.0/12'],
      ip_neighbors: [{ ip: '172.16.1.1', hardware_address: '02:fe:00:00:00:01' }],
      extra_prefix_request: [
        { addr_family: { family: 'IPV6' }, prefix_len: 64, required_number: 1, requested_number: 2 },
      ],
      extra_prefixes: ['fd00:0:0:1::/64'],
      policies: [
        {
          from: '172.16.1.2/32',
          proto: '6',
          dst_port: '80',
          src_port: '1024-65535',
          routes: [{ prefix: '0.0.0.0/0', nextHop: '172.16.1.1' }],
        },
      ],
    },
    dns_context: { configs: [{ dns_server_ips: ['10.96.0.10'], search_domains: ['cluster.local'] }] },
    ethernet_context: { src_mac: '02:fe:00:00:00:01', dst_mac: '02:fe:00:00:00:02', vlan_tag: 100 },
    extra_context: { trench: 'trench-a' },
    MTU: 1450,
  },
  labels: { app: 'ctraffic', nodeName: 'worker-1' },
  path: {
    index: 1,
    path_segments: [
      {
        name: 'nsc',
        id: 'conn-1',
        token: 'jwt-nsc',
        expires: { seconds: String(EXPIRES_SECONDS), nanos: 500_000_000 },
        metrics: { rtt: '1ms' },
      },
      {
        name: 'nse',
        id: 'conn-1-nse',
        token: 'jwt-nse',
        expires: { seconds: String(EXPIRES_SECONDS), nanos: 1 },
        metrics: { hops: '2' },
      },
    ],
  },
  network_service_endpoint_name: 'lb-fe-1',
  payload: 'ETHERNET',
  state: 'REFRESH_REQUESTED',
};

describe('networkservice wire format', () => {
  const requestBytes = buffer(
    msg(1, ...connectionBytes),
    msg(2, str(1, 'LOCAL'), str(2, 'KERNEL'), stringMap(3, { inodeURL: 'file:///proc/thread-self/ns/net' })),
    msg(2, str(1, 'REMOTE'), str(2, 'VXLAN')),
  );
  const request: NetworkServiceRequest = {
    connection,
    mechanism_preferences: [
      { cls: 'LOCAL', type: 'KERNEL', parameters: { inodeURL: 'file:///proc/thread-self/ns/net' } },
      { cls: 'REMOTE', type: 'VXLAN', parameters: {} },
    ],
  };

  it('decodes a hand-encoded NetworkServiceRequest field by field', () => {
    expect(requestMethod.requestDeserialize(requestBytes)).toEqual(request);
  });

  it('encodes a NetworkServiceRequest to the same bytes', () => {
    expect(requestMethod.requestSerialize(request)).toEqual(requestBytes);
  });

  it('decodes a Connection (the Close argument and the Request answer)', () => {
    const bytes = buffer(...connectionBytes);
    expect(closeMethod.requestDeserialize(bytes)).toEqual(connection);
    expect(requestMethod.responseDeserialize(bytes)).toEqual(connection);
    expect(closeMethod.requestSerialize(connection)).toEqual(bytes);
  });

  it('decodes absent fields as the proto3 defaults the SDK relies on', () => {
    const decoded = closeMethod.requestDeserialize(buffer(str(1, 'bare')));
    expect(decoded).toEqual({
      id: 'bare',
      network_service: '',
      mechanism: null,
      context: null,
      labels: {},
      path: null,
      network_service_endpoint_name: '',
      payload: '',
      state: 'UP',
    });
  });

  it('keeps every State by number', () => {
    const states = ['UP', 'DOWN', 'REFRESH_REQUESTED', 'RESELECT_REQUESTED'];
    states.forEach((state, number) => {
      const bytes = buffer(str(1, 'c'), ...(number === 0 ? [] : [uint(9, number)]));
      expect(closeMethod.requestDeserialize(bytes)).toMatchObject({ state });
    });
  });

  it('decodes a ConnectionEvent with its map of connections and a MonitorScopeSelector', () => {
    const event = buffer(uint(1, 1), messageMapEntry(2, 'conn-1', ...connectionBytes));
    expect(monitorMethod.responseDeserialize(event)).toEqual({
      type: 'UPDATE',
      connections: { 'conn-1': connection },
    });
    const selector = buffer(msg(1, str(1, 'nsc'), str(2, 'conn-1')), str(2, 'load-balancer'));
    expect(monitorMethod.requestDeserialize(selector)).toEqual({
      path_segments: [{ name: 'nsc', id: 'conn-1', token: '', expires: null, metrics: {} }],
      network_services: ['load-balancer'],
    });
  });
});

describe('registry wire format', () => {
  const register = registryApi().registry.NetworkServiceEndpointRegistry.service.Register;
  const nseBytes = buffer(
    str(1, 'lb-fe-1'),
    str(2, 'load-balancer'),
    str(2, 'proxy'),
    msg(3, str(1, 'load-balancer'), msg(2, stringMap(1, { trench: 'trench-a', app: 'lb' }))),
    str(4, 'tcp://10.0.0.5:5001'),
    msg(5, uint(1, EXPIRES_SECONDS), uint(2, 7)),
    msg(6, uint(1, EXPIRES_SECONDS - 60)),
    str(7, 'spiffe://example.org/lb'),
  );
  const nse = {
    name: 'lb-fe-1',
    network_service_names: ['load-balancer', 'proxy'],
    network_service_labels: { 'load-balancer': { labels: { trench: 'trench-a', app: 'lb' } } },
    url: 'tcp://10.0.0.5:5001',
    expiration_time: { seconds: String(EXPIRES_SECONDS), nanos: 7 },
    initial_registration_time: { seconds: String(EXPIRES_SECONDS - 60), nanos: 0 },
    path_ids: ['spiffe://example.org/lb'],
  };

  it('decodes a hand-encoded NetworkServiceEndpoint', () => {
    expect(register.requestDeserialize(nseBytes)).toEqual(nse);
  });

  it('encodes a NetworkServiceEndpoint to the same bytes', () => {
    const { initial_registration_time, ...rest } = nse;
    // nanos = 0 is the default and not written, so leave it out of the object to encode.
    expect(
      register.requestSerialize({
        ...rest,
        initial_registration_time: { seconds: initial_registration_time.seconds },
      }),
    ).toEqual(nseBytes);
  });
});

describe('Meridio nsp and ipam wire format', () => {
  it('decodes and encodes an nsp Target', () => {
    const method = nspApi().nsp.NetworkServicePlateformService.service.Register;
    const bytes = buffer(
      str(1, '172.16.0.2/24'),
      str(1, 'fd00::2/64'),
      stringMap(2, { identifier: '7' }),
      uint(3, 1),
    );
    const target: Target = {
      ips: ['172.16.0.2/24', 'fd00::2/64'],
      context: { identifier: '7' },
      status: 'Unregister',
    };
    expect(method.requestDeserialize(bytes)).toEqual(target);
    expect(method.requestSerialize(target)).toEqual(bytes);
  });

  it('decodes and encodes an ipam SubnetRequest, owner extension at field 3 included', () => {
    const method = ipamApi().ipam.IpamService.service.Allocate;
    const bytes = buffer(msg(1, str(1, '172.16.0.0'), uint(2, 16)), uint(2, 24), str(3, 'worker-1'));
    const subnetRequest = {
      subnetPool: { address: '172.16.0.0', prefixLength: 16 },
      prefixLength: 24,
      owner: 'worker-1',
    };
    expect(method.requestDeserialize(bytes)).toEqual(subnetRequest);
    expect(method.requestSerialize(subnetRequest)).toEqual(bytes);
  });

  it('reads an int32 prefix length as signed (int32, not uint32 or sint32)', () => {
    const method = ipamApi().ipam.IpamService.service.Allocate;
    expect(varint(-1)).toHaveLength(10);
    expect(method.requestDeserialize(buffer(uint(2, -1)))).toMatchObject({ prefixLength: -1 });
  });
});

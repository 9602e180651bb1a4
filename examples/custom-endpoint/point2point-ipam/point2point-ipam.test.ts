import {
  chainServer,
  Code,
  Context,
  InvalidArgumentError,
  newConnection,
  newRequest,
  runClose,
  runRequest,
} from '../../../sdk/core/index.js';
import { describeElementContract, injectErrorServer, newSandbox } from '../../../sdk/testing/index.js';
import { point2pointIpam } from './index.js';

describeElementContract('point2pointIpam', () => point2pointIpam('10.0.0.0/29'));

const ask = (id: string, excluded: string[] = []) => ({
  connection: { id, network_service: 's', context: { ip_context: { excluded_prefixes: excluded } } },
});

describe('point2pointIpam', () => {
  it('gives the endpoint the first free address and the client the second, with routes to each other', async () => {
    const sandbox = newSandbox({ endpoint: { additional: [point2pointIpam('10.0.0.0/24', 'fd00::/64')] } });
    const connection = await sandbox.request(ask('a'));
    expect(connection.context?.ip_context).toMatchObject({
      dst_ip_addrs: ['10.0.0.0/32', 'fd00::/128'],
      src_ip_addrs: ['10.0.0.1/32', 'fd00::1/128'],
      src_routes: [
        { prefix: '10.0.0.0/32', nextHop: '' },
        { prefix: 'fd00::/128', nextHop: '' },
      ],
      dst_routes: [
        { prefix: '10.0.0.1/32', nextHop: '' },
        { prefix: 'fd00::1/128', nextHop: '' },
      ],
    });
    const second = await sandbox.request(ask('b'));
    expect(second.context?.ip_context?.dst_ip_addrs).toEqual(['10.0.0.2/32', 'fd00::2/128']);
    sandbox.stop();
  });

  it('keeps the addresses on refresh and frees them on close', async () => {
    const ipam = point2pointIpam('10.0.0.0/24');
    const sandbox = newSandbox({ endpoint: { additional: [ipam] } });
    const connection = await sandbox.request(ask('a'));
    const refreshed = await sandbox.request({ connection, mechanism_preferences: [] });
    expect(refreshed.context?.ip_context?.src_ip_addrs).toEqual(['10.0.0.1/32']);
    expect(refreshed.context?.ip_context?.src_routes).toHaveLength(1);
    expect(ipam.allocatedAddresses()).toBe(2);
    await sandbox.close(refreshed);
    expect(ipam.allocatedAddresses()).toBe(0);
    expect((await sandbox.request(ask('b'))).context?.ip_context?.dst_ip_addrs).toEqual(['10.0.0.0/32']);
    sandbox.stop();
  });

  it('recovers the addresses a refreshed connection carries when it has no lease (an endpoint restart)', async () => {
    const before = point2pointIpam('10.0.0.0/24');
    const ctx = Context.background();
    await runRequest(before, ctx, newRequest(ask('filler')));
    const held = await runRequest(before, ctx, newRequest(ask('a')));
    expect(held.context?.ip_context?.dst_ip_addrs).toEqual(['10.0.0.2/32']);

    const restarted = point2pointIpam('10.0.0.0/24');
    const recovered = await runRequest(restarted, ctx, { connection: held, mechanism_preferences: [] });
    expect(recovered.context?.ip_context).toMatchObject({
      dst_ip_addrs: ['10.0.0.2/32'],
      src_ip_addrs: ['10.0.0.3/32'],
    });
    expect(restarted.allocatedAddresses()).toBe(2);
    const fresh = await runRequest(restarted, ctx, newRequest(ask('b')));
    expect(fresh.context?.ip_context?.dst_ip_addrs).toEqual(['10.0.0.0/32']);
  });

  it("avoids the request's excluded prefixes, and moves a connection whose addresses become excluded", async () => {
    const ipam = point2pointIpam('10.0.0.0/24');
    const ctx = Context.background();
    const connection = await runRequest(ipam, ctx, newRequest(ask('a', ['10.0.0.0/31'])));
    expect(connection.context?.ip_context).toMatchObject({
      dst_ip_addrs: ['10.0.0.2/32'],
      src_ip_addrs: ['10.0.0.3/32'],
    });
    connection.context!.ip_context!.excluded_prefixes = ['10.0.0.2/32'];
    const moved = await runRequest(ipam, ctx, { connection, mechanism_preferences: [] });
    expect(moved.context?.ip_context).toMatchObject({
      dst_ip_addrs: ['10.0.0.0/32'],
      src_ip_addrs: ['10.0.0.1/32'],
      src_routes: [{ prefix: '10.0.0.0/32', nextHop: '' }],
      dst_routes: [{ prefix: '10.0.0.1/32', nextHop: '' }],
    });
    expect(ipam.allocatedAddresses()).toBe(2);
  });

  it('says when the pool is exhausted, and frees a new lease when the rest of the chain fails', async () => {
    const ipam = point2pointIpam('10.0.0.0/31');
    const ctx = Context.background();
    await runRequest(ipam, ctx, newRequest(ask('a')));
    await expect(runRequest(ipam, ctx, newRequest(ask('b')))).rejects.toMatchObject({
      code: Code.RESOURCE_EXHAUSTED,
      message: 'the pool 10.0.0.0/31 has no free pair of addresses left',
    });
    await runClose(ipam, ctx, newConnection({ id: 'a' }));
    const failing = chainServer(ipam, injectErrorServer({ requestErrorTimes: [0] }));
    await expect(runRequest(failing, ctx, newRequest(ask('b')))).rejects.toThrow();
    expect(ipam.allocatedAddresses()).toBe(0);
  });

  it('rejects bad prefixes with a sentence', async () => {
    expect(() => point2pointIpam()).toThrow(InvalidArgumentError);
    expect(() => point2pointIpam('10.0.0.0')).toThrow('the pool prefix "10.0.0.0" is not a CIDR');
    expect(() => point2pointIpam('10.0.0.7/24')).toThrow(
      'the pool prefix 10.0.0.7/24 has host bits set; did you mean 10.0.0.0/24?',
    );
    await expect(
      runRequest(point2pointIpam('10.0.0.0/24'), Context.background(), newRequest(ask('a', ['nope']))),
    ).rejects.toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: 'the excluded prefix "nope" is not a CIDR (write 172.16.0.0/16 or fd00::/48)',
    });
  });
});

import { defineServer } from '../../../../sdk/core/index.js';
import type { NetnsHandle } from '../../../../sdk/kernel/index.js';
import {
  bridgeConnectClient,
  bridgeConnectServer,
  kernelBridgePorts,
} from '../../../../sdk/middleware/bridge-connect/index.js';
import {
  interfaceMonitorClient,
  interfaceMonitorServer,
} from '../../../../sdk/middleware/interface-monitor/index.js';
import { interfaceNameClient, interfaceNameServer } from '../../../../sdk/middleware/interface-name/index.js';
import {
  interfaceNameOf,
  kernelMechanismClient,
  kernelMechanismServer,
} from '../../../../sdk/middleware/kernel-mechanism/index.js';
import { newSandbox } from '../../../../sdk/testing/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../../helpers/netns.js';
import { eventually } from '../../../integration/services/helpers.js';

async function masterOf(netns: NetnsHandle, name: string): Promise<number | undefined> {
  return (await netns.links.find(name))?.masterIndex;
}

skipUnlessRoot('bridge-connect against the kernel')('bridge-connect in network namespaces', () => {
  const namespaces = useNetnsSandbox('brc');
  let lifetime: AbortController;
  beforeEach(() => (lifetime = new AbortController()));
  afterEach(() => lifetime.abort());

  it("attaches the proxy's end of a served connection when it appears, and again after it is made anew", async () => {
    const proxy = namespaces.create('proxy');
    const target = namespaces.create('target');
    const netns = namespaces.kernel.netns(proxy.name);
    const bridge = await netns.links.createBridge('bridge0', { up: true });
    const monitor = interfaceMonitorServer({ signal: lifetime.signal });
    const sandbox = newSandbox({
      endpoint: {
        additional: [
          kernelMechanismServer({ netns: proxy.name }),
          interfaceNameServer({ prefix: 'prx' }),
          monitor,
          bridgeConnectServer({ ports: kernelBridgePorts(netns, 'bridge0'), interfaces: monitor.interfaces }),
        ],
      },
      client: { additional: [kernelMechanismClient({ netns: target.name }), interfaceNameClient()] },
    });
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    const name = interfaceNameOf(connection.mechanism);
    // What the forwarder does after the endpoint answered: the pair, the endpoint's end in the proxy.
    const makePair = (): Promise<unknown> =>
      netns.links.createVeth({
        name,
        up: true,
        peer: { name: 'tgt0', namespace: { path: target.path, label: target.name } },
      });
    await makePair();
    await eventually(async () => (await masterOf(netns, name)) === bridge.index, `${name} joins bridge0`);
    await netns.links.delete(name);
    await makePair();
    await eventually(
      async () => (await masterOf(netns, name)) === bridge.index,
      `${name} joins bridge0 again`,
    );
    await sandbox.close(connection);
    expect(await masterOf(netns, name)).toBeUndefined();
    await netns.links.delete(name);
    sandbox.stop();
  });

  it("attaches the proxy's end of a connection it makes before the Request returns", async () => {
    const proxy = namespaces.create('proxy');
    const lb = namespaces.create('lb');
    const netns = namespaces.kernel.netns(proxy.name);
    const bridge = await netns.links.createBridge('bridge0', { up: true });
    // Stands for the forwarder: the client's end is made before the answer goes back.
    const forwarder = defineServer('forwarder', {
      request: async (ctx, request, next) => {
        const name = request.mechanism_preferences[0]!.parameters.name!;
        const connection = await next.request(ctx, request);
        await netns.links.createVeth({
          name,
          up: true,
          peer: { name: 'lb0', namespace: { path: lb.path, label: lb.name } },
        });
        return connection;
      },
    });
    const monitor = interfaceMonitorClient({ signal: lifetime.signal });
    const sandbox = newSandbox({
      endpoint: { additional: [forwarder, kernelMechanismServer({ netns: lb.name })] },
      client: {
        additional: [
          kernelMechanismClient({ netns: proxy.name }),
          interfaceNameClient({ prefix: 'lb' }),
          monitor,
          bridgeConnectClient({ ports: kernelBridgePorts(netns, 'bridge0'), interfaces: monitor.interfaces }),
        ],
      },
    });
    const connection = await sandbox.request({ connection: { network_service: 'load-balancer' } });
    const name = interfaceNameOf(connection.mechanism);
    expect(await masterOf(netns, name)).toBe(bridge.index);
    await sandbox.close(connection);
    expect(await masterOf(netns, name)).toBeUndefined();
    sandbox.stop();
  });
});

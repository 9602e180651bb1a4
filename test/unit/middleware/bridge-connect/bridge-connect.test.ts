import type { LinkInfo } from '../../../../sdk/kernel/index.js';
import {
  type BridgePorts,
  bridgeConnectClient,
  bridgeConnectServer,
} from '../../../../sdk/middleware/bridge-connect/index.js';
import type {
  InterfaceEventType,
  InterfaceListener,
  InterfaceMonitor,
} from '../../../../sdk/middleware/interface-monitor/index.js';
import { interfaceNameClient, interfaceNameServer } from '../../../../sdk/middleware/interface-name/index.js';
import {
  interfaceNameOf,
  kernelMechanism,
  kernelMechanismClient,
  kernelMechanismServer,
} from '../../../../sdk/middleware/kernel-mechanism/index.js';
import {
  countServer,
  describeElementContract,
  type FakeClock,
  newSandbox,
} from '../../../../sdk/testing/index.js';
import { msToTimestamp, newPathSegment, type RequestInit } from '../../../../sdk/core/index.js';
import { KernelBusyError } from '../../../../sdk/kernel/index.js';

/** Records what bridge-connect asks of the bridge; `failAttach` makes the next attaches fail. */
class RecordingPorts implements BridgePorts {
  readonly bridge = 'bridge0';
  readonly calls: string[] = [];
  failAttach = 0;

  attach(name: string): Promise<void> {
    this.calls.push(`attach ${name}`);
    if (this.failAttach > 0) {
      this.failAttach--;
      return Promise.reject(
        new KernelBusyError(`Cannot attach link '${name}' to 'bridge0': busy (test).`, { namespace: 'test' }),
      );
    }
    return Promise.resolve();
  }

  detach(name: string): Promise<void> {
    this.calls.push(`detach ${name}`);
    return Promise.resolve();
  }
}

/** An interface monitor driven by the test: it says which interfaces exist and tells about changes. */
class ScriptedMonitor implements InterfaceMonitor {
  private readonly listeners = new Set<InterfaceListener>();
  private readonly present_ = new Set<string>();

  subscribe(listener: InterfaceListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  present(connectionId: string): boolean {
    return this.present_.has(connectionId);
  }

  emit(type: InterfaceEventType, connectionId: string, interfaceName: string): void {
    if (type === 'added') this.present_.add(connectionId);
    else this.present_.delete(connectionId);
    const link = { name: interfaceName } as LinkInfo;
    for (const listener of this.listeners) {
      listener({ type, connectionId, interfaceName, netnsUrl: 'inode://1/2', link });
    }
  }
}

/** A connection with a named KERNEL mechanism, arriving from a client hop with a valid token. */
const withMechanism = (id: string, clock: FakeClock): RequestInit => ({
  connection: {
    id,
    network_service: 'contract-service',
    mechanism: kernelMechanism({ inodeURL: 'inode://1/2', name: 'nsm-contract' }),
    path: {
      index: 0,
      path_segments: [
        newPathSegment({
          name: 'contract-client',
          id,
          token: 't',
          expires: msToTimestamp(clock.now() + 600_000),
        }),
      ],
    },
  },
});

describeElementContract(
  'bridgeConnectServer',
  () => bridgeConnectServer({ ports: new RecordingPorts(), interfaces: new ScriptedMonitor() }),
  { sampleRequest: withMechanism },
);
describeElementContract(
  'bridgeConnectClient',
  () => bridgeConnectClient({ ports: new RecordingPorts(), interfaces: new ScriptedMonitor() }),
  { sampleRequest: withMechanism },
);

describe('bridgeConnectServer', () => {
  function setup(): {
    ports: RecordingPorts;
    monitor: ScriptedMonitor;
    sandbox: ReturnType<typeof newSandbox>;
  } {
    const ports = new RecordingPorts();
    const monitor = new ScriptedMonitor();
    const sandbox = newSandbox({
      endpoint: {
        additional: [
          kernelMechanismServer(),
          interfaceNameServer({ prefix: 'prx' }),
          bridgeConnectServer({ ports, interfaces: monitor }),
        ],
      },
      client: { additional: [kernelMechanismClient(), interfaceNameClient()] },
    });
    return { ports, monitor, sandbox };
  }

  it("attaches the endpoint's interface when the forwarder makes it, and again when it is made anew", async () => {
    const { ports, monitor, sandbox } = setup();
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    const name = interfaceNameOf(connection.mechanism);
    expect(name).not.toBe('');
    expect(ports.calls).toEqual([]);
    // The endpoint's connection id is the one the monitor reports; the sandbox endpoint's id is the
    // second path segment's.
    const endpointSide = connection.path!.path_segments[1]!.id;
    monitor.emit('added', endpointSide, name);
    expect(ports.calls).toEqual([`attach ${name}`]);
    monitor.emit('added', 'another-connection', name);
    monitor.emit('removed', endpointSide, name);
    monitor.emit('added', endpointSide, name);
    expect(ports.calls).toEqual([`attach ${name}`, `attach ${name}`]);
    // A refresh finds it present and makes sure it is attached.
    await sandbox.request({ connection });
    expect(ports.calls).toHaveLength(3);
    await sandbox.close(connection);
    expect(ports.calls.at(-1)).toBe(`detach ${name}`);
    monitor.emit('added', endpointSide, name);
    expect(ports.calls).toHaveLength(4);
    sandbox.stop();
  });

  it('logs a failed attachment from an event and keeps the connection', async () => {
    const { ports, monitor, sandbox } = setup();
    const connection = await sandbox.request({ connection: { network_service: 'proxy' } });
    const id = connection.path!.path_segments[1]!.id;
    ports.failAttach = 1;
    monitor.emit('added', id, interfaceNameOf(connection.mechanism));
    await Promise.resolve();
    monitor.emit('removed', id, interfaceNameOf(connection.mechanism));
    monitor.emit('added', id, interfaceNameOf(connection.mechanism));
    expect(ports.calls.filter((c) => c.startsWith('attach'))).toHaveLength(2);
    await sandbox.close(connection);
    sandbox.stop();
  });
});

describe('bridgeConnectClient', () => {
  it('attaches at once, closes a new connection it cannot attach and keeps a refreshed one', async () => {
    const ports = new RecordingPorts();
    const counter = countServer();
    const sandbox = newSandbox({
      // The endpoint hands back the KERNEL mechanism with the client's interface name, as the forwarder does.
      endpoint: { additional: [counter, kernelMechanismServer()] },
      client: {
        additional: [
          kernelMechanismClient(),
          interfaceNameClient({ prefix: 'lb' }),
          bridgeConnectClient({ ports, interfaces: new ScriptedMonitor() }),
        ],
      },
    });
    ports.failAttach = 1;
    await expect(sandbox.request({ connection: { network_service: 'load-balancer' } })).rejects.toThrow(
      /busy \(test\)/,
    );
    expect(counter.closes).toBe(1);
    const connection = await sandbox.request({ connection: { network_service: 'load-balancer' } });
    const name = interfaceNameOf(connection.mechanism);
    expect(ports.calls.at(-1)).toBe(`attach ${name}`);
    ports.failAttach = 1;
    await expect(sandbox.request({ connection })).rejects.toThrow(/busy/);
    expect(counter.closes).toBe(1);
    await sandbox.request({ connection });
    await sandbox.close(connection);
    expect(ports.calls.at(-1)).toBe(`detach ${name}`);
    expect(counter.closes).toBe(2);
    sandbox.stop();
  });
});

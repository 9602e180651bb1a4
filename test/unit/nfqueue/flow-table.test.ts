import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { Code, MeridioError } from '../../../sdk/core/index.js';
import { createMaglev } from '../../../sdk/maglev/index.js';
import { SharedFlowTable } from '../../../sdk/nfqueue/flow-table.js';
import {
  createFlowTable,
  flowPacket,
  FlowTableBusyError,
  hashPacket,
  type FlowTable,
} from '../../../sdk/nfqueue/index.js';

const ADDON = resolve('build/Release/meridio_nfqueue.node');

function shared(table: FlowTable): SharedFlowTable {
  if (!(table instanceof SharedFlowTable)) throw new Error('expected the shared implementation');
  return table;
}

describe('flow table', () => {
  it('rejects invalid options and tables', async () => {
    expect(() => createFlowTable({ capacity: 0 })).toThrow(/capacity must be an integer from 1/);
    expect(() => createFlowTable({ maxTargets: 70000 })).toThrow(
      /maxTargets must be an integer from 1 to 65535/,
    );
    expect(() => createFlowTable({ readers: 57 })).toThrow(/readers must be an integer from 1 to 56/);
    const table = createFlowTable({ capacity: 7, maxTargets: 3 });
    expect(() => table.publish(new Uint16Array(8))).toThrow(
      /8 entries does not fit the flow table's capacity of 7/,
    );
    expect(() => table.publish(Uint16Array.of(1, 4))).toThrow(
      /Entry 1 holds identifier 4, above .* maximum of 3/,
    );
    expect(table.generation).toBe(0);
  });

  it('drops everything until a table is published, then decides as the flow hash says', async () => {
    const table = createFlowTable({ hashSeed: 1234 });
    const packet = flowPacket({
      source: '10.0.0.2',
      destination: '20.0.0.1',
      protocol: 'tcp',
      sourcePort: 40000,
      destinationPort: 80,
    });
    expect(table.lookup(packet)).toEqual({
      identifier: 0,
      hash: hashPacket(packet, 1234)?.hash,
      entry: null,
    });

    const maglev = createMaglev();
    const entries = maglev.build([1, 2, 3]);
    expect(await table.publish(entries)).toBe(1);
    expect(table.generation).toBe(1);
    expect(table.entries()).toEqual(entries);
    const hash = hashPacket(packet, 1234)?.hash ?? -1;
    expect(table.lookup(packet)).toEqual({
      identifier: entries[hash % entries.length],
      hash,
      entry: hash % entries.length,
    });

    // The same flow described as a tuple; IPv6 as well.
    const flow = {
      source: 'fd00::2',
      destination: 'fd00:20::1',
      protocol: 'udp' as const,
      sourcePort: 5000,
      destinationPort: 53,
    };
    expect(table.lookupFlow(flow)).toEqual(table.lookup(flowPacket(flow)));
    expect(hashPacket(flowPacket(flow), 1234)).toMatchObject({
      source: 'fd00:0:0:0:0:0:0:2',
      sourcePort: 5000,
      protocol: 17,
    });
    expect(() => table.lookupFlow({ ...flow, source: '10.0.0.2' })).toThrow(/two addresses of one family/);

    // An empty active set publishes an all-zero table: every packet is dropped.
    await table.publish(maglev.build([]));
    expect(table.lookup(packet).identifier).toBe(0);
  });

  it('hands out reader slots and refuses more than it has', () => {
    const table = shared(createFlowTable({ readers: 2 }));
    const first = table.acquireReader();
    expect(table.acquireReader()).not.toBe(first);
    expect(() => table.acquireReader()).toThrow(MeridioError);
    table.releaseReader(first);
    expect(table.acquireReader()).toBe(first);
  });

  it('never overwrites the buffer a reader still announces', async () => {
    const table = shared(createFlowTable({ capacity: 11, maxTargets: 4, readers: 1 }));
    const slot = table.acquireReader();
    await table.publish(new Uint16Array(11).fill(1)); // generation 1, buffer 1
    await table.publish(new Uint16Array(11).fill(2)); // generation 2, buffer 0
    // A reader that entered at generation 1 and has not left: buffer 1 must not be rewritten.
    Atomics.store(table.words, 8 + slot, 1 + 1);
    const blocked = table.publish(new Uint16Array(11).fill(3), { timeoutMs: 50 });
    await expect(blocked).rejects.toThrow(FlowTableBusyError);
    await expect(blocked).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    expect(table.generation).toBe(2);
    expect(table.entries()[0]).toBe(2);
    Atomics.store(table.words, 8 + slot, 0); // the reader leaves
    expect(await table.publish(new Uint16Array(11).fill(3))).toBe(3);
    expect(table.entries()[0]).toBe(3);
  });

  it('gives native readers on other threads only whole tables while it publishes', async () => {
    const capacity = 65537;
    const table = shared(createFlowTable({ capacity, maxTargets: 100, readers: 2 }));
    const readers = [0, 1].map(() => {
      const worker = new Worker(
        `const { workerData, parentPort } = require('node:worker_threads');
         const addon = require(workerData.addon);
         const stop = new Int32Array(workerData.stop);
         let scans = 0, torn = 0;
         const generations = new Set();
         while (Atomics.load(stop, 0) === 0) {
           const scan = addon.scanTable(workerData.words, workerData.slot);
           scans++;
           if (!scan.uniform) torn++;
           generations.add(scan.generation);
         }
         parentPort.postMessage({ scans, torn, generations: generations.size });`,
        {
          eval: true,
          workerData: {
            addon: ADDON,
            words: table.words,
            slot: table.acquireReader(),
            stop: stopFlag.buffer,
          },
        },
      );
      return new Promise<{ scans: number; torn: number; generations: number }>((done, fail) => {
        worker.once('message', done);
        worker.once('error', fail);
      });
    });
    // Uniform tables of changing value and size: any mix of two publishes is visible as non-uniform.
    for (let i = 0; i < 300; i++) {
      const size = capacity - (i % 5) * 1000;
      await table.publish(new Uint16Array(size).fill((i % 100) + 1));
    }
    Atomics.store(stopFlag, 0, 1);
    for (const result of await Promise.all(readers)) {
      expect(result.torn).toBe(0);
      expect(result.scans).toBeGreaterThan(10);
      expect(result.generations).toBeGreaterThan(2);
    }
  });
});

const stopFlag = new Int32Array(new SharedArrayBuffer(4));

/**
 * The LB of the benchmark as its own process (so its CPU time can be measured), started inside the LB
 * namespace: `node lb-process.js <native|pinned|jscb> <queue>` (pinned: verdicts go back with NF_REPEAT
 * for the pinning chain, as the LB does with pinning on). It serves one queue with a Maglev table of
 * targets 1..3, prints one JSON line when ready, answers "stats" lines with the queue's counters, and
 * closes the queue when stdin ends.
 */
import readline from 'node:readline';
import { createMaglev } from '../../../sdk/maglev/index.js';
import {
  createFlowTable,
  openJsCallbackQueue,
  openNfQueue,
  type NfQueue,
} from '../../../sdk/nfqueue/index.js';

async function main(): Promise<void> {
  const [mode, queueArgument] = process.argv.slice(2);
  const queueNumber = Number(queueArgument);
  const table = createFlowTable();
  await table.publish(createMaglev().build([1, 2, 3]));
  const queue: NfQueue =
    mode === 'jscb'
      ? openJsCallbackQueue({
          queue: queueNumber,
          table,
          onPacket: (packet) => table.lookup(packet).identifier,
        })
      : openNfQueue({ queue: queueNumber, table, repeatMarked: mode === 'pinned' });
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line === 'stats') process.stdout.write(`${JSON.stringify(queue.stats())}\n`);
  });
  lines.on('close', () => {
    queue.close();
    process.exit(0);
  });
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});

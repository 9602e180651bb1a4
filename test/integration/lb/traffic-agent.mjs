// Traffic agent run inside a network namespace (`ip netns exec <ns> node traffic-agent.mjs`), driven by
// JSON lines on stdin ({ id, op, args }) and answering on stdout ({ id, result } or { id, error }).
// serve: a TCP server answering every line with its name. open/ping: TCP connections kept per group,
// each answering which server it reached.
import net from 'node:net';
import process from 'node:process';
import readline from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';

const groups = new Map();
const servers = [];

function onLines(socket, handle) {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffered += chunk;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      handle(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
  });
}

async function serve({ name, port }) {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onLines(socket, () => socket.write(`${name}\n`));
  });
  await new Promise((resolve) => server.listen({ port, host: '::', ipv6Only: false }, resolve));
  servers.push(server);
  return { listening: port };
}

function reply(entry, timeoutMs) {
  if (entry.broken) return Promise.resolve({ error: entry.broken });
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    function finish(result) {
      clearTimeout(timer);
      entry.waiting = undefined;
      resolve(result);
    }
    entry.waiting = finish;
    entry.socket.write('which\n');
  });
}

function connect(host, port, timeoutMs) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const entry = { socket, port: null, waiting: undefined, broken: undefined };
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ entry, error: 'timeout' });
    }, timeoutMs);
    socket.on('error', (error) => {
      entry.broken = error.code ?? 'error';
      entry.waiting?.({ error: entry.broken });
    });
    socket.on('close', () => {
      entry.broken ??= 'closed';
      entry.waiting?.({ error: entry.broken });
    });
    onLines(socket, (line) => entry.waiting?.({ target: line }));
    socket.once('connect', () => {
      clearTimeout(timer);
      entry.port = socket.localPort;
      resolve({ entry });
    });
  });
}

async function open({ group, host, port, count, timeoutMs = 3000 }) {
  const list = groups.get(group) ?? [];
  groups.set(group, list);
  const results = [];
  for (let i = 0; i < count; i += 50) {
    const batch = Array.from({ length: Math.min(50, count - i) }, async () => {
      const { entry, error } = await connect(host, port, timeoutMs);
      if (error) return { port: null, target: null, error };
      list.push(entry);
      const answer = await reply(entry, timeoutMs);
      return { port: entry.port, target: answer.target ?? null, error: answer.error ?? null };
    });
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

async function ping({ group, timeoutMs = 3000 }) {
  const list = groups.get(group) ?? [];
  return Promise.all(
    list.map(async (entry) => {
      const answer = await reply(entry, timeoutMs);
      return { port: entry.port, target: answer.target ?? null, error: answer.error ?? null };
    }),
  );
}

function closeAll() {
  for (const list of groups.values()) for (const entry of list) entry.socket.destroy();
  groups.clear();
  return { closed: true };
}

const operations = { serve, open, ping, closeAll };

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, op, args } = JSON.parse(line);
  try {
    process.stdout.write(`${JSON.stringify({ id, result: await operations[op](args ?? {}) })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id, error: String(error?.stack ?? error) })}\n`);
  }
});
process.stdin.on('end', () => {
  closeAll();
  for (const server of servers) server.close();
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

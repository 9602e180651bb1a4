// Traffic agent run inside a network namespace (`ip netns exec <ns> node traffic-agent.mjs`): a target
// server or a client, driven by JSON lines on stdin ({ id, op, args }) and answering on stdout
// ({ id, result } or { id, error }). serve: a TCP server (and UDP sockets on the given addresses)
// answering with the target's name. udp/tcpOpen/tcpPing: flows that record which target answered.
import dgram from 'node:dgram';
import net from 'node:net';
import process from 'node:process';
import readline from 'node:readline';
import { clearTimeout, setTimeout } from 'node:timers';

const groups = new Map(); // TCP connections kept open, by group name
const servers = [];

function lines(socket, onLine) {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk) => {
    buffered += chunk;
    for (let at = buffered.indexOf('\n'); at >= 0; at = buffered.indexOf('\n')) {
      onLine(buffered.slice(0, at));
      buffered = buffered.slice(at + 1);
    }
  });
}

async function serve({ name, tcpPort, udpPort, addresses = [] }) {
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    lines(socket, () => socket.write(`${name}\n`));
  });
  await new Promise((resolve) => server.listen({ port: tcpPort, host: '::', ipv6Only: false }, resolve));
  servers.push(server);
  for (const address of addresses) {
    // Bound to the VIP, so replies leave with the VIP as source (the target's source route).
    const socket = dgram.createSocket(net.isIPv6(address) ? 'udp6' : 'udp4');
    socket.on('message', (message, peer) => socket.send(`${name}`, peer.port, peer.address));
    await new Promise((resolve) => socket.bind(udpPort, address, resolve));
    servers.push(socket);
  }
  return { listening: true };
}

async function inBatches(items, size, work) {
  const results = [];
  for (let i = 0; i < items.length; i += size) {
    results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  }
  return results;
}

/** One socket (one source port) per flow; each sends `packets` datagrams and records who answered. */
async function udp({ host, port, flows, packets, attempts = 4, replyTimeoutMs = 1000 }) {
  const indexes = Array.from({ length: flows }, (_, i) => i);
  return inBatches(indexes, 250, async (index) => {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    await new Promise((resolve) => socket.bind(0, resolve));
    const replies = [];
    for (let packet = 0; packet < packets; packet++) {
      let reply;
      for (let attempt = 0; attempt < attempts && reply === undefined; attempt++) {
        reply = await new Promise((resolve) => {
          const timer = setTimeout(() => {
            socket.off('message', onMessage);
            resolve(undefined);
          }, replyTimeoutMs);
          const onMessage = (message) => {
            clearTimeout(timer);
            resolve(message.toString());
          };
          socket.once('message', onMessage);
          socket.send(`flow ${index} packet ${packet}`, port, host);
        });
      }
      replies.push(reply ?? null);
    }
    const localPort = socket.address().port;
    socket.close();
    return { port: localPort, replies };
  });
}

function nextLine(entry, timeoutMs) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish({ error: 'timeout' }), timeoutMs);
    function finish(result) {
      clearTimeout(timer);
      entry.waiting = undefined;
      resolve(result);
    }
    entry.waiting = finish;
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
    lines(socket, (line) => entry.waiting?.({ target: line }));
    socket.once('connect', () => {
      clearTimeout(timer);
      entry.port = socket.localPort;
      resolve({ entry });
    });
  });
}

async function exchange(entry, timeoutMs) {
  if (entry.broken) return { error: entry.broken };
  const reply = nextLine(entry, timeoutMs);
  entry.socket.write('ping\n');
  return reply;
}

async function tcpOpen({ group, host, port, count, timeoutMs = 3000 }) {
  const list = groups.get(group) ?? [];
  groups.set(group, list);
  return inBatches(Array.from({ length: count }), 100, async () => {
    const { entry, error } = await connect(host, port, timeoutMs);
    if (error) return { port: null, target: null, error };
    list.push(entry);
    const reply = await exchange(entry, timeoutMs);
    return { port: entry.port, target: reply.target ?? null, error: reply.error ?? null };
  });
}

async function tcpPing({ group, timeoutMs = 3000 }) {
  const list = groups.get(group) ?? [];
  return inBatches(list, 500, async (entry) => {
    const reply = await exchange(entry, timeoutMs);
    return { port: entry.port, target: reply.target ?? null, error: reply.error ?? null };
  });
}

function tcpCloseAll() {
  for (const list of groups.values()) for (const entry of list) entry.socket.destroy();
  groups.clear();
  return { closed: true };
}

const operations = { serve, udp, tcpOpen, tcpPing, tcpCloseAll };

readline.createInterface({ input: process.stdin }).on('line', async (line) => {
  const { id, op, args } = JSON.parse(line);
  try {
    const result = await operations[op](args ?? {});
    process.stdout.write(`${JSON.stringify({ id, result })}\n`);
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ id, error: String(error?.stack ?? error) })}\n`);
  }
});
process.stdin.on('end', () => {
  tcpCloseAll();
  for (const server of servers) server.close();
  process.exit(0);
});
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

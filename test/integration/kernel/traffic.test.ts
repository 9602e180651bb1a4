import { spawn } from 'node:child_process';
import { execIn, ipJson, skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

/** Pings until one reply (veth carrier and IPv6 neighbour discovery take a moment on fresh links). */
function pingOnce(
  namespace: string,
  address: string,
  deadlineSeconds = 5,
): { status: number; output: string } {
  return execIn(namespace, 'ping', '-c', '1', '-w', String(deadlineSeconds), '-i', '0.2', address);
}

/**
 * A TCP echo exchange from namespace `client` to a server listening inside namespace `server`: the
 * server is a node process started with `ip netns exec`, the client one too, so each runs entirely in
 * its namespace.
 */
async function tcpExchange(server: string, client: string, listen: string, connect: string): Promise<string> {
  const port = 5000 + Math.floor(Math.random() * 1000);
  const serverScript = `require('net').createServer(s=>s.pipe(s)).listen(${port}, '${listen}', ()=>console.log('ready'))`;
  const serverProcess = spawn('ip', ['netns', 'exec', server, process.execPath, '-e', serverScript], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise<void>((resolve, reject) => {
      serverProcess.stdout.once('data', () => resolve());
      serverProcess.once('exit', (code) => reject(new Error(`echo server exited with ${code}`)));
    });
    const clientScript =
      `const s=require('net').createConnection({host:'${connect}',port:${port}},()=>s.end('hello over tcp'));` +
      `let d='';s.on('data',c=>d+=c);s.on('end',()=>console.log(d));s.on('error',e=>{console.error(e.message);process.exit(1)})`;
    const result = execIn(client, process.execPath, '-e', clientScript);
    if (result.status !== 0) throw new Error(result.output);
    return result.output.trim();
  } finally {
    serverProcess.kill('SIGKILL');
  }
}

skipUnlessRoot('kernel traffic tests', ['ping'])(
  'traffic across a veth pair made through the kernel layer',
  () => {
    const sandbox = useNetnsSandbox('ktr');

    async function pair(): Promise<{ a: string; b: string }> {
      const a = sandbox.create('a').name;
      const b = sandbox.create('b').name;
      const left = sandbox.kernel.netns(a);
      const right = sandbox.kernel.netns(b);
      await left.links.createVeth({ name: 'nsc0', up: true, peer: { name: 'nse0', namespace: b } });
      await right.links.setUp('nse0');
      await left.addresses.add('nsc0', '172.16.5.2/24');
      await left.addresses.add('nsc0', 'fd00:5::2/64', { nodad: true });
      await right.addresses.add('nse0', '172.16.5.1/24');
      await right.addresses.add('nse0', 'fd00:5::1/64', { nodad: true });
      return { a, b };
    }

    it('pings over IPv4 and IPv6 (nodad) in both directions', async () => {
      const { a, b } = await pair();
      expect(pingOnce(a, '172.16.5.1')).toMatchObject({ status: 0 });
      expect(pingOnce(b, '172.16.5.2')).toMatchObject({ status: 0 });
      expect(pingOnce(a, 'fd00:5::1')).toMatchObject({ status: 0 });
      expect(pingOnce(b, 'fd00:5::2')).toMatchObject({ status: 0 });
    });

    it('carries a TCP exchange over IPv4 and IPv6', async () => {
      const { a, b } = await pair();
      await expect(tcpExchange(b, a, '172.16.5.1', '172.16.5.1')).resolves.toBe('hello over tcp');
      await expect(tcpExchange(b, a, 'fd00:5::1', 'fd00:5::1')).resolves.toBe('hello over tcp');
    });

    it('routes through a gateway namespace with forwarding enabled by a per-namespace sysctl', async () => {
      const { a, b } = await pair();
      const c = sandbox.create('c').name;
      const right = sandbox.kernel.netns(b);
      const far = sandbox.kernel.netns(c);
      await right.links.createVeth({ name: 'fwd0', up: true, peer: { name: 'fwd1', namespace: c } });
      await far.links.setUp('fwd1');
      await right.addresses.add('fwd0', '172.16.6.1/24');
      await far.addresses.add('fwd1', '172.16.6.2/24');
      await sandbox.kernel.netns(a).routes.replace({ destination: '172.16.6.0/24', gateway: '172.16.5.1' });
      await far.routes.replace({ destination: '172.16.5.0/24', gateway: '172.16.6.1' });

      right.sysctl.set('net.ipv4.ip_forward', 0);
      expect(pingOnce(a, '172.16.6.2', 1).status).not.toBe(0);
      right.sysctl.set('net.ipv4.ip_forward', 1);
      expect(right.sysctl.get('net.ipv4.ip_forward')).toBe('1');
      expect(execIn(b, 'cat', '/proc/sys/net/ipv4/ip_forward').output.trim()).toBe('1');
      expect(execIn(a, 'cat', '/proc/sys/net/ipv4/ip_forward').output.trim()).toBe('0');
      expect(pingOnce(a, '172.16.6.2')).toMatchObject({ status: 0 });
    });

    it('flushes the neighbour entries of an IP after traffic created them', async () => {
      const { a } = await pair();
      expect(pingOnce(a, '172.16.5.1').status).toBe(0);
      const handle = sandbox.kernel.netns(a);
      const neighbours = () => ipJson<{ dst: string }[]>(a, 'neigh', 'show').map((entry) => entry.dst);
      expect(neighbours()).toContain('172.16.5.1');
      expect((await handle.neighbours.list()).map((entry) => entry.address)).toContain('172.16.5.1');
      expect(await handle.neighbours.flush('172.16.5.1')).toBe(1);
      expect(neighbours()).not.toContain('172.16.5.1');
      expect(await handle.neighbours.flush('172.16.5.1')).toBe(0);
    });
  },
);

import { connect } from 'node:net';

import {
  analyzeHosts,
  decodeHostHeader,
  encodeHostHeader,
  formatHostTable,
  runCtrafficClient,
  startCtrafficServer,
} from '../../../clients/ctraffic/index.js';

describe('ctraffic over loopback TCP', () => {
  test('the first reply carries the host name NUL-padded to 64 bytes, then the server echoes', async () => {
    const server = await startCtrafficServer({ host: '127.0.0.1', port: 0, hostname: 'target-a' });
    try {
      const socket = connect({ host: '127.0.0.1', port: server.port });
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const payload = Buffer.alloc(100, 7);
      socket.write(payload);
      socket.write(Buffer.from('second'));
      await new Promise<void>((resolve) => {
        const check = (): void =>
          Buffer.concat(received).length >= 106 ? resolve() : void setTimeout(check, 5);
        check();
      });
      socket.destroy();
      const reply = Buffer.concat(received);
      expect(reply.subarray(0, 64)).toEqual(encodeHostHeader('target-a'));
      expect(reply.subarray(64, 100)).toEqual(Buffer.alloc(36, 7));
      expect(reply.subarray(100).toString()).toBe('second');
      expect(decodeHostHeader(reply)).toBe('target-a');
    } finally {
      await server.close();
    }
  });

  test('the open connections are reported by their peers, as each client names its own end', async () => {
    const server = await startCtrafficServer({ host: '::', port: 0, hostname: 'target-p' });
    const sockets = ['127.0.0.1', '::1'].map((host) => connect({ host, port: server.port }));
    try {
      await Promise.all(sockets.map((s) => new Promise((resolve) => s.once('connect', resolve))));
      await new Promise<void>((resolve) => {
        const check = (): void => (server.openPeers().length === 2 ? resolve() : void setTimeout(check, 5));
        check();
      });
      const ends = sockets.map((s) => `${s.localAddress}:${s.localPort}`);
      expect(server.openPeers().sort()).toEqual(ends.sort());
      sockets[0]!.destroy();
      await new Promise<void>((resolve) => {
        const check = (): void => (server.openPeers().length === 1 ? resolve() : void setTimeout(check, 5));
        check();
      });
      expect(server.openPeers()).toEqual([ends[1]]);
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
    }
  });

  test('long-lived connections all reach the host and none is lost', async () => {
    const server = await startCtrafficServer({ host: '::', port: 0, hostname: 'target-b' });
    try {
      const stats = await runCtrafficClient({
        host: '::1',
        port: server.port,
        nconn: 20,
        rateKBps: 200,
        packetSize: 1024,
        durationMs: 1500,
        reconnect: true,
      });
      const analysis = analyzeHosts(stats);
      expect(analysis.lasting).toEqual({ 'target-b': 20 });
      expect(analysis.lostTotal).toBe(0);
      expect(stats.FailedConnects).toBe(0);
      expect(stats.Received).toBe(stats.Sent);
      expect(stats.Sent).toBeGreaterThanOrEqual(20);
      expect(stats.ConnStats?.every((c) => c.Remote.endsWith(`:${server.port}`))).toBe(true);
      expect(formatHostTable(analysis)).toContain('target-b');
    } finally {
      await server.close();
    }
  });

  test('a server that goes away makes its connections lost, and reconnects fail as failed connects', async () => {
    const server = await startCtrafficServer({ host: '127.0.0.1', port: 0, hostname: 'doomed' });
    const run = runCtrafficClient({
      host: '127.0.0.1',
      port: server.port,
      nconn: 5,
      rateKBps: 50,
      packetSize: 256,
      durationMs: 3500,
      reconnect: true,
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await server.close();
    const stats = await run;
    const analysis = analyzeHosts(stats);
    expect(analysis.lost).toEqual({ doomed: 5 });
    expect(stats.FailedConnections).toBe(5);
    expect(stats.FailedConnects).toBeGreaterThan(0);
  });

  test('churn opens new short connections at the requested rate, each answered', async () => {
    const server = await startCtrafficServer({ host: '127.0.0.1', port: 0, hostname: 'churned' });
    try {
      const stats = await runCtrafficClient({
        host: '127.0.0.1',
        port: server.port,
        nconn: 0,
        rateKBps: 0,
        packetSize: 64,
        durationMs: 2000,
        reconnect: false,
        newConnsPerSecond: 50,
        churnLifetimeMs: 300,
        churnIntervalMs: 100,
      });
      const analysis = analyzeHosts(stats);
      expect(analysis.lostTotal).toBe(0);
      expect(analysis.lasting.churned).toBe(stats.ConnStats?.length);
      // 50/s for the ~1.7 s in which new connections may start.
      expect(stats.ConnStats!.length).toBeGreaterThanOrEqual(40);
      expect(server.connections()).toBe(stats.ConnStats!.length);
    } finally {
      await server.close();
    }
  });
});

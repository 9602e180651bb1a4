import { mkdtempSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  Counter,
  InvalidMetricsAddressError,
  metricsSetting,
  parseMetricsAddress,
  serveMetrics,
  startProcessMetrics,
  createMetricsRegistry,
} from '../../../sdk/metrics/index.js';

interface Reply {
  status: number;
  type: string;
  body: string;
}

function get(target: { socketPath: string } | { host: string; port: number }, path: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ ...target, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('sdk/metrics', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'metrics-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('parses every --metrics form and rejects the rest with a sentence', () => {
    expect(parseMetricsAddress('')).toBeUndefined();
    expect(parseMetricsAddress(':9090')).toEqual({ kind: 'tcp', host: '::', port: 9090, text: ':9090' });
    expect(parseMetricsAddress('127.0.0.1:1')).toMatchObject({ kind: 'tcp', host: '127.0.0.1', port: 1 });
    expect(parseMetricsAddress('[::1]:80')).toMatchObject({ kind: 'tcp', host: '::1', port: 80 });
    expect(parseMetricsAddress('unix:///run/m.sock')).toMatchObject({ kind: 'unix', path: '/run/m.sock' });
    for (const bad of ['unix://relative.sock', 'localhost', ':70000', 'a b:1']) {
      expect(() => parseMetricsAddress(bad)).toThrow(InvalidMetricsAddressError);
    }
    expect(() => parseMetricsAddress('nohost')).toThrow(/is not a metrics address/);
    expect(() => metricsSetting().parse('x')).toThrow(/unix:\/\/\/absolute\/path/);
    expect(metricsSetting().parse(' :1 ')).toBe(':1');
    expect(metricsSetting().defaultValue).toBe('');
  });

  test('serves the registry on a unix socket, labelled with the component, and removes the socket on close', async () => {
    const path = join(dir, 'm.sock');
    const metrics = await startProcessMetrics({
      listen: `unix://${path}`,
      component: 'proxy',
      labels: { name: 'proxy-a' },
    });
    const counter = new Counter({ name: 'test_things_total', help: 'things', registers: [metrics.registry] });
    counter.inc(3);
    try {
      expect(metrics.address).toBe(`unix://${path}`);
      const reply = await get({ socketPath: path }, '/metrics');
      expect(reply.status).toBe(200);
      expect(reply.type).toContain('text/plain');
      expect(reply.body).toContain('test_things_total{name="proxy-a",component="proxy"} 3');
      expect(reply.body).toContain('process_cpu_user_seconds_total');
      expect((await get({ socketPath: path }, '/other')).status).toBe(404);
    } finally {
      await metrics.close();
    }
    expect(existsSync(path)).toBe(false);
  });

  test('replaces a socket left by a killed predecessor, but never a regular file', async () => {
    const stale = join(dir, 'stale.sock');
    // A predecessor killed with SIGKILL leaves its socket file behind, with nobody accepting on it.
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(stale)})`,
    ]);
    while (!existsSync(stale)) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(existsSync(stale)).toBe(true);
    const registry = createMetricsRegistry({ component: 'lb', processMetrics: false });
    const server = await serveMetrics({ listen: `unix://${stale}`, registry });
    try {
      expect((await get({ socketPath: stale }, '/metrics')).status).toBe(200);
    } finally {
      await server?.close();
    }
    const file = join(dir, 'file');
    writeFileSync(file, 'keep');
    await expect(serveMetrics({ listen: `unix://${file}`, registry })).rejects.toThrow(
      /Cannot serve metrics on unix:\/\/.*file/,
    );
    expect(existsSync(file)).toBe(true);
  });

  test('serves over TCP on an ephemeral port; metrics off serves nothing', async () => {
    const registry = createMetricsRegistry({ component: 'ctraffic', processMetrics: false });
    const server = await serveMetrics({ listen: '127.0.0.1:0', registry });
    try {
      const port = Number(server!.address.split(':').pop());
      const reply = await get({ host: '127.0.0.1', port }, '/metrics');
      expect(reply.status).toBe(200);
    } finally {
      await server?.close();
    }
    expect(await serveMetrics({ listen: '', registry })).toBeUndefined();
    const off = await startProcessMetrics({ listen: '', component: 'nsp' });
    expect(off.address).toBeUndefined();
    await off.close();
  });
});

/**
 * `meridio ctraffic` as a process (dist/bin/meridio.js): a server named by --hostname with its metrics,
 * a client whose JSON report has ctraffic's field names (all, summary, none), the hosts analysis of a
 * report file, and bad input.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BIN = join(process.cwd(), 'dist', 'bin', 'meridio.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function ctraffic(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'ctraffic', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function metrics(socketPath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request({ socketPath, path: '/metrics', agent: false }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });
}

describe('meridio ctraffic', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let port = 0;

  beforeAll(async () => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build with "make build" before this test`);
    dir = mkdtempSync(join(tmpdir(), 'ctraffic-cli-'));
    server = spawn(
      process.execPath,
      [
        BIN,
        'ctraffic',
        '--server',
        '--address',
        '127.0.0.1:0',
        '--hostname',
        'target-x',
        '--metrics',
        `unix://${join(dir, 'm.sock')}`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let output = '';
    await new Promise<void>((resolve, reject) => {
      server!.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const listening = /"port":(\d+),"hostname":"target-x","msg":"ctraffic server listening"/.exec(output);
        if (listening && output.includes('serving metrics')) {
          port = Number(listening[1]);
          resolve();
        }
      });
      server!.once('exit', (code) => reject(new Error(`the server exited with ${code}: ${output}`)));
    });
  }, 20_000);

  afterAll(async () => {
    if (server !== undefined && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  test('the client reports every connection with the host that answered, in ctraffic field names', async () => {
    const all = await ctraffic(
      '--address',
      `127.0.0.1:${port}`,
      '--nconn',
      '5',
      '--rate',
      '50',
      '--timeout',
      '1500ms',
      '--new-conn-rate',
      '10',
      '--stats',
      'all',
    );
    expect(all.code).toBe(0);
    const report = JSON.parse(all.stdout) as Record<string, unknown> & {
      ConnStats: Record<string, unknown>[];
    };
    expect(Object.keys(report)).toEqual([
      'Started',
      'Duration',
      'Rate',
      'Connections',
      'PacketSize',
      'FailedConnections',
      'Sent',
      'Received',
      'Dropped',
      'Retransmits',
      'FailedConnects',
      'ConnStats',
      'Samples',
    ]);
    expect(report).toMatchObject({
      Rate: 50,
      Connections: 5,
      PacketSize: 1024,
      FailedConnects: 0,
      FailedConnections: 0,
    });
    expect(report.ConnStats.length).toBeGreaterThan(5);
    for (const connection of report.ConnStats) {
      expect(connection).toMatchObject({ Err: '', Host: 'target-x', Remote: `127.0.0.1:${port}` });
      expect(Object.keys(connection)).toEqual(
        expect.arrayContaining([
          'Started',
          'Connect',
          'Ended',
          'Sent',
          'Received',
          'Dropped',
          'Retransmits',
          'Local',
        ]),
      );
    }
    const file = join(dir, 'report.json');
    writeFileSync(file, all.stdout);
    const analysis = await ctraffic('--analyze', 'hosts', '--stat-file', file);
    expect(analysis.code).toBe(0);
    expect(analysis.stdout).toMatch(new RegExp(`target-x\\s+${report.ConnStats.length}\\s+0`));
    expect(analysis.stdout).toContain('lost connections: 0; never answered: 0');

    const summary = await ctraffic('--address', `127.0.0.1:${port}`, '--nconn', '2', '--timeout', '500ms');
    expect(JSON.parse(summary.stdout)).not.toHaveProperty('ConnStats');
    const none = await ctraffic(
      '--address',
      `127.0.0.1:${port}`,
      '--nconn',
      '1',
      '--timeout',
      '300ms',
      '--stats',
      'none',
    );
    expect(none).toMatchObject({ code: 0, stdout: '' });
    expect(await metrics(join(dir, 'm.sock'))).toMatch(
      /ctraffic_server_connections_total\{component="ctraffic"\} (\d{2,})/,
    );
  }, 30_000);

  test('--read-timeout: a connection whose echo does not come within it counts as lost, saying so', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port: silentPort } = silent.address() as AddressInfo;
      const run = await ctraffic(
        '--address',
        `127.0.0.1:${silentPort}`,
        '--nconn',
        '1',
        '--timeout',
        '1200ms',
        '--read-timeout',
        '300ms',
        '--reconnect=false',
        '--stats',
        'all',
      );
      const report = JSON.parse(run.stdout) as { ConnStats: { Err: string }[] };
      expect(report.ConnStats[0]?.Err).toBe('read timeout after 300 ms');
      const bad = await ctraffic('--read-timeout', 'soon');
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain('read-timeout');
    } finally {
      silent.close();
    }
  }, 30_000);

  test('bad input: one sentence, exit 2; an unreadable or partial report: exit 1', async () => {
    const address = await ctraffic('--address', 'nowhere');
    expect(address.code).toBe(2);
    expect(address.stderr).toContain(
      '"nowhere" is not an address: write [ipv6]:port, ipv4:port, name:port or :port.',
    );
    const rate = await ctraffic('--rate', 'fast');
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('expected a number of at least 0');
    const missing = await ctraffic('--analyze', 'hosts', '--stat-file', join(dir, 'none.json'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the report');
    const summaryFile = join(dir, 'summary.json');
    writeFileSync(summaryFile, '{"Sent":1}');
    const partial = await ctraffic('--analyze', 'hosts', '--stat-file', summaryFile);
    expect(partial.stderr).toContain('has no ConnStats: run the client with --stats all');
  }, 30_000);
});

/**
 * `meridio local` as a command: usage, bad input (exit 2, one sentence), commands that find no
 * instance, and the text it prints for people (status table, progress line, traffic table).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import {
  formatStatus,
  formatTraffic,
  progressLine,
  run,
  type LocalStatus,
} from '../../../endpoints/local/index.js';

interface Captured {
  code: number;
  stdout: string;
  stderr: string;
}

async function local(...argv: string[]): Promise<Captured> {
  let stdout = '';
  let stderr = '';
  const io = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const code = await run(argv, { PATH: process.env.PATH }, io);
  return { code, stdout, stderr };
}

const STATUS: LocalStatus = {
  vips: ['20.0.0.1/32'],
  external: { namespace: 'm-ext', ips: ['10.20.0.2', 'fd10:20::2'] },
  gateway: { namespace: 'm-gw' },
  lbs: [
    {
      name: 'lb-1',
      namespace: 'm-lb-1',
      healthy: true,
      pid: 11,
      restarts: 0,
      gatewayIps: ['10.10.0.11', 'fd10:10::11'],
      routed: true,
    },
    {
      name: 'lb-2',
      namespace: 'm-lb-2',
      healthy: false,
      pid: null,
      restarts: 2,
      gatewayIps: ['10.10.0.12', 'fd10:10::12'],
      routed: false,
    },
  ],
  proxies: [
    {
      name: 'proxy-1',
      namespace: 'm-proxy-1',
      node: 'node-1',
      subnets: ['172.16.0.0/24', 'fd00::/64'],
      healthy: true,
      pid: 12,
      restarts: 0,
    },
  ],
  targets: [
    {
      name: 'target-1',
      namespace: 'm-target-1',
      node: 'node-1',
      identifier: 7,
      ips: ['172.16.0.5', 'fd00::5'],
      healthy: true,
      registered: true,
      reachable: true,
      pid: 13,
      restarts: 0,
      ctraffic: { pid: 14, restarts: 1 },
    },
    {
      name: 'target-2',
      namespace: 'm-target-2',
      node: 'node-1',
      identifier: null,
      ips: [],
      healthy: false,
      registered: false,
      reachable: false,
      pid: 15,
      restarts: 0,
      ctraffic: { pid: 16, restarts: 0 },
    },
  ],
  services: [{ name: 'nsp', healthy: true, pid: 10, restarts: 0 }],
  stateDir: '/run/meridio-local',
  supervisorPid: 9,
  phase: 'scaling',
  ready: false,
  wantedTargets: 3,
};

describe('meridio local command line', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'local-cli-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('usage and unknown commands', async () => {
    const none = await local();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: meridio local <command>');
    const help = await local('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('scale --targets N');
    const unknown = await local('start');
    expect(unknown).toMatchObject({ code: 2, stderr: expect.stringContaining('Unknown command "start"') });
    const upHelp = await local('up', '--help');
    expect(upHelp.code).toBe(0);
    expect(upHelp.stdout).toMatch(/--lbs <integer>\s+NSM_LBS/);
  });

  test('commands that need an instance say there is none', async () => {
    const stateDir = join(dir, 'nothing');
    const down = await local('down', '--state-dir', stateDir);
    expect(down).toEqual({
      code: 0,
      stdout: `Nothing to take down: there is no Meridio local instance in ${stateDir}.\n`,
      stderr: '',
    });
    for (const argv of [
      ['status'],
      ['logs', 'nsp'],
      ['vip', 'add', '30.0.0.1/32'],
      ['scale', '--targets', '3'],
      ['traffic'],
    ]) {
      const result = await local(...argv, '--state-dir', stateDir);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        `Meridio local is not up in ${stateDir}: start it with "meridio local up" --state-dir ${stateDir}.`,
      );
    }
  });

  test('bad input is refused before anything is made', async () => {
    const stateDir = join(dir, 'state');
    const cases: [string[], RegExp][] = [
      [['up', '--lbs', '0'], /Setting lbs \(--lbs \/ NSM_LBS\) has an invalid value "0"/],
      [['up', '--vips', '20.0.0.1/24'], /host bits are set/],
      [['up', '--vips', '10.20.0.7/32'], /overlaps 10\.20\.0\.0\/24/],
      [['up', '--prefix', 'Not OK'], /namespace prefix "Not OK"/],
      [['scale'], /Setting targets \(--targets \/ NSM_TARGETS\) is required/],
      [['vip', 'add'], /Write "meridio local vip add CIDR"/],
      [['vip', 'drop', '1.2.3.4/32'], /Write "meridio local vip add CIDR"/],
      [['status', '--verbose'], /Unknown flag --verbose/],
    ];
    for (const [argv, message] of cases) {
      const result = await local(...argv, '--state-dir', stateDir);
      expect({ argv, code: result.code }).toEqual({ argv, code: 2 });
      expect(result.stderr).toMatch(message);
    }
    expect(existsSync(stateDir)).toBe(false);
  });

  test('status, progress and traffic read well', () => {
    const text = formatStatus(STATUS);
    expect(text).toContain('Meridio local: scaling, not ready (state /run/meridio-local, supervisor pid 9)');
    expect(text).toMatch(
      /lb-2\s+m-lb-2\s+no\s+-\s+2\s+10\.10\.0\.12 fd10:10::12 \(not in the gateway routes\)/,
    );
    expect(text).toMatch(/target-1\s+m-target-1\s+node-1\s+yes\s+13\s+1\s+id 7; 172\.16\.0\.5 fd00::5/);
    expect(text).toMatch(/target-2 .* not registered, not reached yet;/);
    expect(progressLine(STATUS)).toBe(
      'nsm/nsp/ipam 1/1 · LBs 1/2 · proxies 1/1 · targets 2/3 running, 1/3 registered, 1/3 reachable',
    );
    const table = formatTraffic(
      [
        {
          vip: '20.0.0.1/32',
          hosts: { 'target-1': 60, 'target-2': 40 },
          lost: { 'target-2': 1 },
          lostTotal: 1,
          failedConnects: 0,
          connections: 101,
        },
        {
          vip: '2000::1/128',
          hosts: { 'target-1': 50, 'target-2': 50 },
          lost: {},
          lostTotal: 0,
          failedConnects: 2,
          connections: 102,
        },
      ],
      ['target-1', 'target-2', 'target-3'],
    );
    expect(table.split('\n')).toEqual([
      'target           20.0.0.1/32  2000::1/128',
      'target-1                  60           50',
      'target-2         40 (1 lost)           50',
      'target-3                   0            0',
      'lost                       1            0',
      'failed connects            0            2',
      'connections              101          102',
    ]);
  });
});

import { jest } from '@jest/globals';

import {
  deriveLbSettings,
  fwmarkRange,
  FwmarkRangeError,
  LB_SETTINGS,
  type LbSettings,
} from '../../../endpoints/lb/index.js';
import { run } from '../../../endpoints/lb/main.js';
import { DEFAULTS } from '../../../sdk/defaults.js';
import { parseSettings, SettingsError } from '../../../sdk/settings/index.js';

function settingsFrom(env: Record<string, string>, argv: string[] = []): LbSettings {
  const parsed = parseSettings(LB_SETTINGS, argv, env);
  if (parsed.kind !== 'values') throw new Error('expected values');
  return parsed.values as LbSettings;
}

/** Runs `meridio lb` with these arguments and returns its exit code and what it printed. */
async function runLb(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => ((out += String(chunk)), true));
  const stderr = jest
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk) => ((err += String(chunk)), true));
  try {
    const code = await run(argv, env);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
  }
}

describe('fwmark tables', () => {
  it('gives identifiers 1..N the tables offset+1..offset+N', () => {
    expect(fwmarkRange(5000, 100)).toEqual({ offset: 5000, maxTargets: 100, first: 5001, last: 5100 });
    expect(fwmarkRange(0, 252).last).toBe(252);
    expect(fwmarkRange(255, 100).first).toBe(256);
    expect(fwmarkRange(0xffffffff - 100, 100).last).toBe(0xffffffff);
  });

  it.each([
    [200, 100, "include the kernel's reserved tables 253, 254, 255"],
    [253, 10, "include the kernel's reserved tables 254, 255"],
    [254, 10, "include the kernel's reserved table 255"],
    [153, 100, "include the kernel's reserved table 253"],
    [0xffffffff - 99, 100, 'past the largest fwmark and table number 4294967295'],
  ])('refuses offset %d with %d targets', (offset, maxTargets, message) => {
    expect(() => fwmarkRange(offset, maxTargets)).toThrow(FwmarkRangeError);
    expect(() => fwmarkRange(offset, maxTargets)).toThrow(message);
  });

  it('says which offsets would work', () => {
    expect(() => fwmarkRange(200, 100)).toThrow('use an offset of at most 152, or of at least 255');
    expect(() => fwmarkRange(0, 300)).toThrow('use an offset of at least 255');
  });
});

describe('LB settings', () => {
  it('reads the Meridio environment variables', () => {
    const settings = settingsFrom({
      NSM_NAME: 'lb-a',
      NSM_SERVICE_NAME: 'lb-svc',
      NSM_CONNECT_TO: 'unix:///run/nsm.sock',
      NSM_NSP_SERVICE: 'unix:///run/nsp.sock',
      NSM_VIPS: '20.0.0.1/32, 2000:0::1/128',
      NSM_CONFIG_MAP_NAME: 'conf',
      NSM_NAMESPACE: 'trench-a',
      NSM_LABELS: 'app=lb, trench=a',
    });
    expect(settings).toEqual(
      expect.objectContaining({
        name: 'lb-a',
        serviceName: 'lb-svc',
        connectTo: 'unix:///run/nsm.sock',
        nspService: 'unix:///run/nsp.sock',
        vips: ['20.0.0.1/32', '2000::1/128'],
        configMapName: 'conf',
        namespace: 'trench-a',
        queue: 0,
        queueBypass: true,
        pinning: true,
      }),
    );
    const derived = deriveLbSettings(settings, 'node-1');
    expect(derived.labels).toEqual({ app: 'lb', trench: 'a' });
    expect(derived.listen).toBe('unix:///var/lib/meridio/lb-a.sock');
  });

  it('derives the trench defaults: N=100, M=9973, offset 5000; the name from the host', () => {
    const derived = deriveLbSettings(settingsFrom({}), 'node-1');
    expect(derived.name).toBe(`${DEFAULTS.loadBalancerServiceName}-node-1`);
    expect(derived.maglev).toEqual({ maxTargets: 100, tableSize: 9973, seed: DEFAULTS.maglevSeed });
    expect(derived.range).toEqual(expect.objectContaining({ first: 5001, last: 5100 }));
    expect(deriveLbSettings(settingsFrom({}, ['--max-targets', '1000'])).maglev.tableSize).toBe(99991);
  });

  it.each([
    [['--fwmark-offset', '200'], 'clash: The fwmark offset 200 with 100 targets uses tables 201–300'],
    [['--maglev-size', '10000'], 'is not (the largest prime below it is 9973)'],
    [['--max-targets', '50', '--maglev-size', '47'], 'must be at least the slot count N (50)'],
    [['--labels', 'a=1,a=2'], 'gives the label "a" twice'],
    [['--listen', 'unix://relative/lb.sock'], 'has an invalid value "unix://relative/lb.sock"'],
  ])('refuses %j with a sentence', (argv, message) => {
    expect(() => deriveLbSettings(settingsFrom({}, argv))).toThrow(SettingsError);
    expect(() => deriveLbSettings(settingsFrom({}, argv))).toThrow(message);
  });

  it('refuses VIPs that are not CIDRs and labels without a key', () => {
    expect(() => settingsFrom({ NSM_VIPS: '20.0.0.1/32,banana' })).toThrow('"banana" is not');
    expect(() => settingsFrom({ NSM_VIPS: '20.0.0.1/24' })).toThrow('a CIDR without host bits');
    expect(() => settingsFrom({ NSM_LABELS: '=x' })).toThrow('key=value pairs');
  });
});

describe('meridio lb', () => {
  it('--help lists every setting with its flag and environment variable', async () => {
    const { code, out } = await runLb(['--help']);
    expect(code).toBe(0);
    for (const [flag, env] of [
      ['--name', 'NSM_NAME'],
      ['--service-name', 'NSM_SERVICE_NAME'],
      ['--connect-to', 'NSM_CONNECT_TO'],
      ['--nsp-service', 'NSM_NSP_SERVICE'],
      ['--vips', 'NSM_VIPS'],
      ['--config-map-name', 'NSM_CONFIG_MAP_NAME'],
      ['--namespace', 'NSM_NAMESPACE'],
      ['--max-targets', 'NSM_MAX_TARGETS'],
      ['--maglev-size', 'NSM_MAGLEV_SIZE'],
      ['--maglev-seed', 'NSM_MAGLEV_SEED'],
      ['--fwmark-offset', 'NSM_FWMARK_OFFSET'],
      ['--queue', 'NSM_QUEUE'],
      ['--queue-bypass', 'NSM_QUEUE_BYPASS'],
      ['--pinning', 'NSM_PINNING'],
      ['--config-file', 'NSM_CONFIG_FILE'],
      ['--listen', 'NSM_LISTEN'],
    ]) {
      expect(out).toMatch(new RegExp(`${flag}\\b.*${env}`));
    }
  });

  it('exits 2 with one sentence for an offset whose tables collide with the reserved ones', async () => {
    const { code, err } = await runLb(['--fwmark-offset', '250', '--max-targets', '10']);
    expect(code).toBe(2);
    expect(err).toMatch(
      /^Settings fwmarkOffset \(NSM_FWMARK_OFFSET\) .* reserved tables 253, 254, 255 .*\.\n$/,
    );
  });

  it('exits 2 for an invalid VIP in NSM_VIPS, naming it', async () => {
    const { code, err } = await runLb([], { NSM_VIPS: '20.0.0.300/32' });
    expect(code).toBe(2);
    expect(err).toContain('NSM_VIPS');
    expect(err).toContain('"20.0.0.300/32" is not');
  });
});

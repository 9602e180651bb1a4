import { Code } from '../../../sdk/core/index.js';
import {
  EXIT_BAD_SETTINGS,
  SettingsError,
  envName,
  flagName,
  formatDuration,
  loadSettings,
  parseDuration,
  parseSettings,
  setting,
  settingsHelp,
  type SettingsValues,
} from '../../../sdk/settings/index.js';
import { NSP_SETTINGS } from '../../../endpoints/nsp/index.js';
import { IPAM_SETTINGS } from '../../../endpoints/ipam/index.js';

const SPEC = {
  nspService: setting.serviceAddress({ description: 'the NSP', default: 'nsp-service:7778' }),
  keepalive: setting.duration({ description: 'the keepalive', default: 60_000, minMs: 100 }),
  maxTargets: setting.integer({ description: 'Maglev slots', default: 100, min: 1, max: 10_000 }),
  trace: setting.boolean({ description: 'tracing', default: false }),
  mode: setting.oneOf({ description: 'the mode', values: ['lb', 'proxy'] as const, default: 'lb' }),
  subnetPrefixLengths: setting.list({
    description: 'lengths',
    item: setting.integer({ description: 'a length', min: 1, max: 128 }),
    default: [24, 64],
  }),
  host: setting.string({ description: 'the node name' }),
};

function values(argv: string[], env: Record<string, string> = {}): SettingsValues<typeof SPEC> {
  const parsed = parseSettings(SPEC, argv, { NSM_HOST: 'node-1', ...env });
  if (parsed.kind !== 'values') throw new Error('expected values');
  return parsed.values as SettingsValues<typeof SPEC>;
}

function failure(argv: string[], env: Record<string, string> = {}): SettingsError {
  try {
    parseSettings(SPEC, argv, env);
  } catch (error) {
    if (error instanceof SettingsError) return error;
    throw error;
  }
  throw new Error('expected a SettingsError');
}

describe('setting names', () => {
  it.each([
    ['nspService', 'NSM_NSP_SERVICE', '--nsp-service'],
    ['ipamService', 'NSM_IPAM_SERVICE', '--ipam-service'],
    ['vips', 'NSM_VIPS', '--vips'],
    ['configMapName', 'NSM_CONFIG_MAP_NAME', '--config-map-name'],
    ['subnetPrefixLengths', 'NSM_SUBNET_PREFIX_LENGTHS', '--subnet-prefix-lengths'],
    ['logLevel', 'NSM_LOG_LEVEL', '--log-level'],
  ])('%s is %s and %s, as Meridio images spell them', (name, env, flag) => {
    expect(envName(name)).toBe(env);
    expect(flagName(name)).toBe(flag);
  });
});

describe('parseSettings', () => {
  it('takes defaults, then the environment, then flags', () => {
    expect(values([])).toEqual({
      nspService: 'nsp-service:7778',
      keepalive: 60_000,
      maxTargets: 100,
      trace: false,
      mode: 'lb',
      subnetPrefixLengths: [24, 64],
      host: 'node-1',
    });
    const fromEnv = values([], {
      NSM_NSP_SERVICE: 'unix:///run/nsp.sock',
      NSM_KEEPALIVE: '1m30s',
      NSM_TRACE: 'yes',
    });
    expect(fromEnv).toMatchObject({ nspService: 'unix:///run/nsp.sock', keepalive: 90_000, trace: true });
    const fromFlags = values(
      ['--nsp-service', '[::1]:9000', '--keepalive=500ms', '--trace', '--mode', 'proxy'],
      {
        NSM_NSP_SERVICE: 'unix:///run/nsp.sock',
        NSM_KEEPALIVE: '1m',
      },
    );
    expect(fromFlags).toMatchObject({ nspService: '[::1]:9000', keepalive: 500, trace: true, mode: 'proxy' });
  });

  it('reads lists and treats an empty environment variable as unset', () => {
    expect(values([], { NSM_SUBNET_PREFIX_LENGTHS: '26, 80', NSM_MAX_TARGETS: '' })).toMatchObject({
      subnetPrefixLengths: [26, 80],
      maxTargets: 100,
    });
    expect(values(['--trace=false']).trace).toBe(false);
  });

  it.each([
    [
      ['--keepalive', '5x'],
      {},
      'Setting keepalive (--keepalive / NSM_KEEPALIVE) has an invalid value "5x" (from --keepalive): expected a duration such as 60s, 1m30s or 500ms.',
    ],
    [
      [],
      { NSM_KEEPALIVE: '50ms' },
      'Setting keepalive (--keepalive / NSM_KEEPALIVE) has an invalid value "50ms" (from NSM_KEEPALIVE): expected a duration of at least 100ms.',
    ],
    [
      ['--max-targets', '0'],
      {},
      'Setting maxTargets (--max-targets / NSM_MAX_TARGETS) has an invalid value "0" (from --max-targets): expected an integer from 1 to 10000.',
    ],
    [
      ['--nsp-service', 'nsp'],
      {},
      'Setting nspService (--nsp-service / NSM_NSP_SERVICE) has an invalid value "nsp" (from --nsp-service): expected host:port, [ipv6]:port or unix:///absolute/path.',
    ],
    [
      ['--mode', 'target'],
      {},
      'Setting mode (--mode / NSM_MODE) has an invalid value "target" (from --mode): expected one of lb, proxy.',
    ],
    [
      [],
      { NSM_SUBNET_PREFIX_LENGTHS: '24,x' },
      'Setting subnetPrefixLengths (--subnet-prefix-lengths / NSM_SUBNET_PREFIX_LENGTHS) has an invalid value "24,x" (from NSM_SUBNET_PREFIX_LENGTHS): expected a comma-separated list of an integer from 1 to 128 ("x" is not).',
    ],
    [
      ['--trace=maybe'],
      {},
      'Setting trace (--trace / NSM_TRACE) has an invalid value "maybe" (from --trace): expected true or false.',
    ],
    [['--colour', 'red'], {}, 'Unknown flag --colour: run with --help to list the settings.'],
    [['proxy'], {}, 'Unexpected argument "proxy": settings are given as --name value or --name=value.'],
    [['--mode'], {}, 'Setting mode (--mode / NSM_MODE) needs a value after --mode.'],
  ])('%j with %j is refused: %s', (argv, env, message) => {
    const error = failure(argv, { NSM_HOST: 'node-1', ...env });
    expect(error.message).toBe(message);
    expect(error.code).toBe(Code.INVALID_ARGUMENT);
  });

  it('names a missing required setting', () => {
    expect(failure([]).message).toBe('Setting host (--host / NSM_HOST) is required: the node name.');
  });

  it('answers help before judging other arguments', () => {
    expect(parseSettings(SPEC, ['--colour', '--help'], {})).toEqual({ kind: 'help' });
    expect(parseSettings(SPEC, ['-h'], {})).toEqual({ kind: 'help' });
  });
});

describe('durations', () => {
  it.each([
    ['0', 0],
    ['500ms', 500],
    ['60s', 60_000],
    ['1.5s', 1500],
    ['1m30s', 90_000],
    ['2h', 7_200_000],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '60', 's', '1d', '1m 30s', '-1s'])('%j is not a duration', (text) => {
    expect(() => parseDuration(text)).toThrow('a duration such as 60s, 1m30s or 500ms');
  });

  it('formats with the largest whole unit', () => {
    expect([0, 500, 1500, 60_000, 90_000, 3_600_000].map(formatDuration)).toEqual([
      '0',
      '500ms',
      '1500ms',
      '1m',
      '90s',
      '1h',
    ]);
  });
});

describe('help and exit codes', () => {
  function capture(): { text: string; write(text: string): void } {
    return {
      text: '',
      write(text: string) {
        this.text += text;
      },
    };
  }

  it('lists every setting with its flag, environment variable, description and default', () => {
    const help = settingsHelp(NSP_SETTINGS, { usage: 'meridio nsp [settings]', summary: 'The NSP.' });
    expect(help).toContain('Usage: meridio nsp [settings]');
    expect(help).toMatch(
      /--listen <address> +NSM_LISTEN +where the NSP gRPC service listens.*\(default "\[::\]:7778"\)/,
    );
    expect(help).toMatch(/--db <path> +NSM_DB +.*\(default "\/var\/lib\/meridio\/nsp.db"\)/);
    expect(help).toMatch(/--keepalive <duration> +NSM_KEEPALIVE +.*\(default "1m"\)/);
    expect(help).toMatch(/--log-level <level> +NSM_LOG_LEVEL +.*\(default "info"\)/);
    const ipamHelp = settingsHelp(IPAM_SETTINGS, { usage: 'meridio ipam', summary: 'The IPAM.' });
    expect(ipamHelp).toMatch(/--listen <address> +NSM_LISTEN +.*\(default "\[::\]:7777"\)/);
    expect(settingsHelp(SPEC, { usage: 'x', summary: 'y' })).toMatch(
      /--host <text> +NSM_HOST +the node name \(required\)/,
    );
  });

  it('prints help and exits 0, prints one sentence and exits 2, or hands back the values', () => {
    const stdout = capture();
    const stderr = capture();
    const text = { usage: 'meridio nsp [settings]', summary: 'The NSP.' };
    expect(loadSettings(NSP_SETTINGS, ['--help'], {}, text, { stdout, stderr })).toEqual({
      ok: false,
      exitCode: 0,
    });
    expect(stdout.text).toContain('NSM_KEEPALIVE');
    expect(loadSettings(NSP_SETTINGS, [], { NSM_KEEPALIVE: 'soon' }, text, { stdout, stderr })).toEqual({
      ok: false,
      exitCode: EXIT_BAD_SETTINGS,
    });
    expect(stderr.text).toBe(
      'Setting keepalive (--keepalive / NSM_KEEPALIVE) has an invalid value "soon" (from NSM_KEEPALIVE): expected a duration such as 60s, 1m30s or 500ms.\n',
    );
    const loaded = loadSettings(NSP_SETTINGS, ['--listen', 'unix:///tmp/nsp.sock'], {}, text, {
      stdout,
      stderr,
    });
    expect(loaded).toEqual({
      ok: true,
      values: {
        listen: 'unix:///tmp/nsp.sock',
        db: '/var/lib/meridio/nsp.db',
        keepalive: 60_000,
        logLevel: 'info',
      },
    });
  });
});

import { Code } from '../../../sdk/core/index.js';
import {
  InvalidConfigError,
  diffConfigs,
  formatMeridioConf,
  isEmptyDiff,
  parseMeridioConf,
  sameVips,
  validateVips,
} from '../../../sdk/config/index.js';

const cidrs = (text: string): string[] => parseMeridioConf(text).vips.map((vip) => vip.cidr);

describe('parseMeridioConf', () => {
  test('reads the 2021 flow-style list, with families and prefixes', () => {
    const config = parseMeridioConf('vips: [20.0.0.1/32, 2000::1/128]');
    expect(config.vips).toEqual([
      { cidr: '20.0.0.1/32', address: '20.0.0.1', prefixLength: 32, family: 'ipv4' },
      { cidr: '2000::1/128', address: '2000::1', prefixLength: 128, family: 'ipv6' },
    ]);
  });

  test('reads a block list, comments and quoted entries, normalising each CIDR', () => {
    const text = '# VIPs of trench a\nvips:\n  - "20.0.0.1/32"\n  - 2000:0:0::1/128 # v6\n';
    expect(cidrs(text)).toEqual(['20.0.0.1/32', '2000::1/128']);
  });

  test('an empty list is valid', () => {
    expect(parseMeridioConf('vips: []').vips).toEqual([]);
  });

  test('what it formats, it reads back', () => {
    const config = parseMeridioConf('vips: [2000::1/128, 20.0.0.0/24]');
    expect(formatMeridioConf(config)).toBe('vips: [2000::1/128, 20.0.0.0/24]\n');
    expect(parseMeridioConf(formatMeridioConf(config))).toEqual(config);
    expect(formatMeridioConf({ vips: [] })).toBe('vips: []\n');
  });

  test.each([
    ['vips: [20.0.0.1/32', /^meridio\.conf is not valid YAML: Flow sequence .* at line 1, column 19$/],
    ['vips: [a]\nvips: [b]', /^meridio\.conf is not valid YAML: Map keys must be unique at line 2/],
    ['vips: []\n---\nvips: []', /^meridio\.conf is not valid YAML: Source contains multiple documents/],
    ['', /^meridio\.conf is empty; write "vips: \[\]" to configure no VIPs$/],
    ['# nothing here\n', /^meridio\.conf is empty/],
    ['- 20.0.0.1/32', /^meridio\.conf must be a YAML mapping with the key "vips", not a list$/],
    [
      '20.0.0.1/32',
      /^meridio\.conf must be a YAML mapping with the key "vips", not the string "20\.0\.0\.1\/32"$/,
    ],
    ['vips: []\nvip: [20.0.0.1/32]', /^meridio\.conf has an unknown key "vip"; the only key is "vips"$/],
    ['vips: []\na: 1\nb: 2', /^meridio\.conf has unknown keys "a", "b"; the only key is "vips"$/],
    ['trench: a', /^meridio\.conf has an unknown key "trench"/],
    ['{}', /^meridio\.conf has no "vips" key; write "vips: \[\]" to configure no VIPs$/],
    ['vips:', /^"vips" in meridio\.conf must be a list of CIDRs, not empty$/],
    [
      'vips: 20.0.0.1/32',
      /^"vips" in meridio\.conf must be a list of CIDRs, not the string "20\.0\.0\.1\/32"$/,
    ],
    ['vips: {a: 1}', /^"vips" in meridio\.conf must be a list of CIDRs, not a mapping$/],
    ['vips: [20.0.0.1]', /^vips\[0\] "20\.0\.0\.1" is not a valid CIDR: the prefix length is missing/],
    [
      'vips: [20.0.0.1/32, 300.0.0.1/32]',
      /^vips\[1\] "300\.0\.0\.1\/32" is not a valid CIDR: "300\.0\.0\.1" is not an IPv4 address$/,
    ],
    [
      'vips: [20.0.0.1/24]',
      /^vips\[0\] "20\.0\.0\.1\/24" is not a valid CIDR: host bits are set \(the network is 20\.0\.0\.0\/24\)$/,
    ],
    ['vips: [42]', /^vips\[0\] is the number 42, not a CIDR such as 20\.0\.0\.1\/32$/],
    ['vips: [[20.0.0.1/32]]', /^vips\[0\] is a list, not a CIDR/],
    [
      'vips: [20.0.0.1/32, 20.0.0.1/32]',
      /^vips\[1\] "20\.0\.0\.1\/32" duplicates vips\[0\] "20\.0\.0\.1\/32"/,
    ],
    [
      'vips: [2000::1/128, 20.0.0.1/32, 2000:0::1/128]',
      /^vips\[2\] "2000:0::1\/128" duplicates vips\[0\] "2000::1\/128" \(both are 2000::1\/128\)$/,
    ],
  ])('rejects %j as a whole with one sentence', (text, message) => {
    let thrown: unknown;
    try {
      parseMeridioConf(text);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InvalidConfigError);
    expect((thrown as InvalidConfigError).code).toBe(Code.INVALID_ARGUMENT);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).not.toContain('\n');
  });
});

describe('validateVips', () => {
  test('names the list it checks (the webhook checks spec.vips)', () => {
    expect(validateVips(['20.0.0.2/31'], 'spec.vips').map((vip) => vip.cidr)).toEqual(['20.0.0.2/31']);
    expect(() => validateVips(['20.0.0.1/32', '20.0.0.3/31'], 'spec.vips')).toThrow(
      'spec.vips[1] "20.0.0.3/31" is not a valid CIDR: host bits are set (the network is 20.0.0.2/31)',
    );
  });
});

describe('diffConfigs', () => {
  const config = (text: string): ReturnType<typeof parseMeridioConf> => parseMeridioConf(text);

  test('added in the new order, removed in the old order, unchanged in neither', () => {
    const diff = diffConfigs(
      config('vips: [20.0.0.1/32, 20.0.0.2/32, 2000::1/128]'),
      config('vips: [2000::2/128, 20.0.0.2/32, 20.0.0.3/32]'),
    );
    expect(diff.added.map((vip) => vip.cidr)).toEqual(['2000::2/128', '20.0.0.3/32']);
    expect(diff.removed.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32', '2000::1/128']);
  });

  test('the same networks written differently or reordered are no change', () => {
    const a = config('vips: [2000::1/128, 20.0.0.1/32]');
    const b = config('vips: [20.0.0.1/32, 2000:0:0::1/128]');
    expect(isEmptyDiff(diffConfigs(a, b))).toBe(true);
    expect(sameVips(a, b)).toBe(true);
    expect(sameVips(a, config('vips: [20.0.0.1/32]'))).toBe(false);
  });

  test('to the empty list removes everything', () => {
    const diff = diffConfigs(config('vips: [20.0.0.1/32, 2000::1/128]'), config('vips: []'));
    expect(diff.added).toEqual([]);
    expect(diff.removed.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32', '2000::1/128']);
  });
});

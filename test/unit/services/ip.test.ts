import { Code, InvalidArgumentError } from '../../../sdk/core/index.js';
import {
  addressInPrefix,
  formatIpAddress,
  formatPrefix,
  parseInterfaceAddress,
  parseIpAddress,
  parsePrefix,
  prefixContains,
  prefixesOverlap,
  prefixHoldsAddress,
  prefixSize,
  tryParseIpAddress,
} from '../../../sdk/services/common/index.js';

describe('IP addresses', () => {
  it.each([
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['172.16.1.2', '172.16.1.2'],
    ['::', '::'],
    ['::1', '::1'],
    ['FD00:0:0:0:0:0:0:1', 'fd00::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:1.2.3.4', '::ffff:102:304'],
    ['fd00::', 'fd00::'],
  ])('%s is written canonically as %s', (text, canonical) => {
    expect(formatIpAddress(parseIpAddress(text))).toBe(canonical);
  });

  it.each([
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    '1.2.3.-4',
    'a.b.c.d',
    ':::',
    '1::2::3',
    '1:2:3:4:5:6:7:8:9',
    '12345::',
    'fe80::1%eth0',
    '1.2.3.4::',
    '1:2:3:4:5:6:7::8:9',
    'g::1',
  ])('%j is not an address', (text) => {
    expect(tryParseIpAddress(text)).toBeUndefined();
    expect(() => parseIpAddress(text, 'target IP')).toThrow(
      new InvalidArgumentError(`target IP "${text}" is not a valid IPv4 or IPv6 address`),
    );
  });

  it('keeps an interface address prefix length and refuses a bad one', () => {
    expect(parseInterfaceAddress('172.16.1.2/24')).toEqual({
      address: { family: 4, value: 0xac100102n },
      length: 24,
    });
    expect(parseInterfaceAddress('fd00::2').length).toBeUndefined();
    expect(() => parseInterfaceAddress('172.16.1.2/33', 'target IP')).toThrow(
      'target IP "172.16.1.2/33" is not a valid IP address (write 172.16.1.2, 172.16.1.2/24, fd00::2 or fd00::2/64)',
    );
    expect(() => parseInterfaceAddress('172.16.1.2/24/1')).toThrow(InvalidArgumentError);
  });
});

describe('IP prefixes', () => {
  it('parses, formats and measures IPv4 and IPv6 prefixes', () => {
    const v4 = parsePrefix('172.16.0.0/16');
    expect(formatPrefix(v4)).toBe('172.16.0.0/16');
    expect(prefixSize(v4)).toBe(65536n);
    const v6 = parsePrefix('FD00:0::/48');
    expect(formatPrefix(v6)).toBe('fd00::/48');
    expect(prefixSize(v6)).toBe(1n << 80n);
    expect(formatIpAddress(addressInPrefix(parsePrefix('fd00:0:0:5::/64'), 1n))).toBe('fd00:0:0:5::1');
  });

  it('refuses host bits, naming the prefix that was probably meant', () => {
    let error: unknown;
    try {
      parsePrefix('172.16.1.0/16', 'subnet pool');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).code).toBe(Code.INVALID_ARGUMENT);
    expect((error as Error).message).toBe(
      'subnet pool 172.16.1.0/16 has host bits set; did you mean 172.16.0.0/16?',
    );
  });

  it.each([
    ['172.16.0.0', 'subnet pool "172.16.0.0" is not a CIDR (write 172.16.0.0/16 or fd00::/48)'],
    ['banana/8', 'subnet pool "banana/8" is not a CIDR (write 172.16.0.0/16 or fd00::/48)'],
    ['10.0.0.0/33', 'subnet pool "10.0.0.0/33" has an invalid prefix length: IPv4 allows 0 to 32'],
    ['fd00::/129', 'subnet pool "fd00::/129" has an invalid prefix length: IPv6 allows 0 to 128'],
  ])('%s is refused: %s', (text, message) => {
    expect(() => parsePrefix(text, 'subnet pool')).toThrow(new InvalidArgumentError(message));
  });

  it('knows containment and overlap, never across families', () => {
    const pool = parsePrefix('10.0.0.0/8');
    expect(prefixContains(pool, parsePrefix('10.255.0.0/16'))).toBe(true);
    expect(prefixContains(pool, parsePrefix('11.0.0.0/16'))).toBe(false);
    expect(prefixContains(parsePrefix('10.0.0.0/16'), pool)).toBe(false);
    expect(prefixesOverlap(parsePrefix('10.0.0.0/16'), pool)).toBe(true);
    expect(prefixesOverlap(parsePrefix('10.0.0.0/24'), parsePrefix('10.0.1.0/24'))).toBe(false);
    expect(prefixesOverlap(parsePrefix('::/0'), parsePrefix('0.0.0.0/0'))).toBe(false);
  });

  it('knows which addresses a prefix holds, its first and last included', () => {
    const subnet = parsePrefix('172.16.100.0/24');
    expect(prefixHoldsAddress(subnet, parseIpAddress('172.16.100.0'))).toBe(true);
    expect(prefixHoldsAddress(subnet, parseIpAddress('172.16.100.255'))).toBe(true);
    expect(prefixHoldsAddress(subnet, parseIpAddress('172.16.101.0'))).toBe(false);
    expect(prefixHoldsAddress(subnet, parseIpAddress('172.16.99.255'))).toBe(false);
    expect(prefixHoldsAddress(parsePrefix('fd00::/64'), parseIpAddress('fd00::ffff:1'))).toBe(true);
    expect(prefixHoldsAddress(parsePrefix('::/0'), parseIpAddress('172.16.100.1'))).toBe(false);
  });
});

import { contains, formatIp, parseIp, parsePrefix } from './ip-prefix.js';

describe('IP prefixes', () => {
  it.each([
    ['10.0.0.1', '10.0.0.1'],
    ['fd00::', 'fd00::'],
    ['fd00:0:0:1::5', 'fd00:0:0:1::5'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::', '::'],
    ['::ffff:10.0.0.1', '::ffff:a00:1'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['fd00:0:1:0:0:0:0:0', 'fd00:0:1::'],
  ])('reads %s and writes it as %s', (text, formatted) => {
    expect(formatIp(parseIp(text)!)).toBe(formatted);
  });

  it('clears host bits and checks membership', () => {
    const prefix = parsePrefix('172.16.100.77/24')!;
    expect(formatIp({ family: 4, value: prefix.network })).toBe('172.16.100.0');
    expect(contains(prefix, parseIp('172.16.100.255')!)).toBe(true);
    expect(contains(prefix, parseIp('172.16.101.0')!)).toBe(false);
    expect(contains(parsePrefix('fd00::/64')!, parseIp('fd00::ffff:1')!)).toBe(true);
    expect(contains(parsePrefix('fd00::/64')!, parseIp('172.16.100.1')!)).toBe(false);
  });

  it.each(['', '10.0.0.0', '10.0.0.0/33', '10.0.0.0/24/1', 'fd00::/129', 'x/8', '10.0.0.0/-1'])(
    'rejects %j',
    (text) => {
      expect(parsePrefix(text)).toBeUndefined();
    },
  );
});

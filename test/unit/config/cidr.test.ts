import { InvalidCidrError, parseCidr } from '../../../sdk/config/index.js';

describe('parseCidr', () => {
  test.each([
    ['20.0.0.1/32', '20.0.0.1/32', 'ipv4', 32],
    ['0.0.0.0/0', '0.0.0.0/0', 'ipv4', 0],
    ['10.0.0.0/8', '10.0.0.0/8', 'ipv4', 8],
    ['2000::1/128', '2000::1/128', 'ipv6', 128],
    ['2000:0::1/128', '2000::1/128', 'ipv6', 128],
    ['2000:0000:0000:0000:0000:0000:0000:0001/128', '2000::1/128', 'ipv6', 128],
    ['2001:DB8::/32', '2001:db8::/32', 'ipv6', 32],
    ['::/0', '::/0', 'ipv6', 0],
    ['::1/128', '::1/128', 'ipv6', 128],
    ['1::/16', '1::/16', 'ipv6', 16],
    ['2001:db8:0:0:1:0:0:1/128', '2001:db8::1:0:0:1/128', 'ipv6', 128],
    ['2001:0:0:1:0:0:0:1/128', '2001:0:0:1::1/128', 'ipv6', 128],
    ['2001:db8:0:1:1:1:1:1/128', '2001:db8:0:1:1:1:1:1/128', 'ipv6', 128],
    ['::ffff:20.0.0.1/128', '::ffff:20.0.0.1/128', 'ipv6', 128],
    ['::ffff:1400:1/128', '::ffff:20.0.0.1/128', 'ipv6', 128],
    ['64:ff9b::20.0.0.1/128', '64:ff9b::1400:1/128', 'ipv6', 128],
  ])('%s is the network %s', (text, cidr, family, prefixLength) => {
    const parsed = parseCidr(text);
    expect(parsed).toEqual({ cidr, address: cidr.split('/')[0], family, prefixLength });
  });

  test.each([
    ['20.0.0.1', 'the prefix length is missing'],
    ['20.0.0.1/33', 'the prefix length "33" is not a number from 0 to 32'],
    ['2000::1/129', 'the prefix length "129" is not a number from 0 to 128'],
    ['20.0.0.1/032', 'the prefix length "032" is not a number from 0 to 32'],
    ['20.0.0.1/', 'the prefix length "" is not a number from 0 to 32'],
    ['20.0.0.1/-1', 'the prefix length "-1" is not a number from 0 to 32'],
    ['20.0.0.256/32', '"20.0.0.256" is not an IPv4 address'],
    ['020.0.0.1/32', '"020.0.0.1" is not an IPv4 address'],
    ['20.0.1/32', '"20.0.1" is not an IPv4 address'],
    ['/32', '"" is not an IPv4 address'],
    ['vip1/32', '"vip1" is not an IPv4 address'],
    ['2000:::1/128', '"2000:::1" is not an IPv6 address'],
    ['2000::1::1/128', '"2000::1::1" is not an IPv6 address'],
    ['1:2:3:4:5:6:7/128', '"1:2:3:4:5:6:7" is not an IPv6 address'],
    ['1:2:3:4:5:6:7:8:9/128', '"1:2:3:4:5:6:7:8:9" is not an IPv6 address'],
    ['1:2:3:4::5:6:7:8/128', '"1:2:3:4::5:6:7:8" is not an IPv6 address'],
    ['12345::/16', '"12345::" is not an IPv6 address'],
    ['fe80::1%eth0/128', 'has a zone'],
    ['20.0.0.1/24', 'host bits are set (the network is 20.0.0.0/24)'],
    ['2000::1/64', 'host bits are set (the network is 2000::/64)'],
    ['10.255.0.0/9', 'host bits are set (the network is 10.128.0.0/9)'],
  ])('%s is rejected: %s', (text, reason) => {
    expect(() => parseCidr(text)).toThrow(InvalidCidrError);
    expect(() => parseCidr(text)).toThrow(`"${text}" is not a valid CIDR: `);
    expect(() => parseCidr(text)).toThrow(reason);
  });
});

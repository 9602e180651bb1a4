// The pure parts of the kernel layer (no root needed): address text, attribute and multipath encoding,
// errno parsing of the netlink package's messages.
import {
  KernelExistsError,
  KernelInvalidArgumentError,
  formatIp,
  networkOf,
  parseIp,
  parsePrefix,
} from '../../../sdk/kernel/index.js';
import { nla, parseAttributes } from '../../../sdk/kernel/attributes.js';
import { decodeMultipath, encodeMultipath } from '../../../sdk/kernel/multipath.js';
import { errnoOf, kernelError } from '../../../sdk/kernel/errors.js';

describe('kernel layer encodings', () => {
  it('parses and formats IPv4 and IPv6 addresses canonically', () => {
    expect(parseIp('10.0.0.1')).toMatchObject({ family: 4, text: '10.0.0.1' });
    expect(parseIp('FD00:0:0:0:0:0:0:1').text).toBe('fd00::1');
    expect(parseIp('::').text).toBe('::');
    expect(parseIp('::1').bytes.at(-1)).toBe(1);
    expect(parseIp('2001:db8:0:0:1:0:0:1').text).toBe('2001:db8::1:0:0:1');
    expect(parseIp('fd00:1:0:1:1:1:1:1').text).toBe('fd00:1:0:1:1:1:1:1');
    expect(parseIp('::ffff:10.1.2.3').bytes.subarray(12)).toEqual(Buffer.from([10, 1, 2, 3]));
    expect(formatIp(Buffer.from([192, 168, 0, 1]))).toBe('192.168.0.1');
    expect(() => parseIp('10.0.0.256')).toThrow(KernelInvalidArgumentError);
    expect(() => parseIp('fd00:::1')).toThrow('is not an IPv4 or IPv6 address');
  });

  it('parses prefixes, keeps host bits, and computes networks', () => {
    expect(parsePrefix('172.16.1.2/24')).toMatchObject({ length: 24, address: { text: '172.16.1.2' } });
    expect(parsePrefix('fd00::2').length).toBe(128);
    expect(networkOf(parsePrefix('172.16.1.2/20')).address.text).toBe('172.16.0.0');
    expect(networkOf(parsePrefix('fd00:1:8002:3::5/33')).address.text).toBe('fd00:1:8000::');
    expect(() => parsePrefix('10.0.0.0/33')).toThrow('invalid prefix length');
    expect(() => parsePrefix('10.0.0.0/x')).toThrow(KernelInvalidArgumentError);
  });

  it('encodes attributes padded to 4 bytes and parses them back', () => {
    const attribute = nla(3, Buffer.from('ab\0'));
    expect(attribute).toEqual(Buffer.from([7, 0, 3, 0, 0x61, 0x62, 0, 0]));
    const parsed = parseAttributes(Buffer.concat([attribute, nla(0x8000 | 5, Buffer.from([1, 2, 3, 4]))]));
    expect(parsed.get(3)).toEqual(Buffer.from('ab\0'));
    expect(parsed.get(5)).toEqual(Buffer.from([1, 2, 3, 4]));
  });

  it('round-trips RTA_MULTIPATH nexthops', () => {
    const nexthops = [
      { linkIndex: 3, gateway: parseIp('10.1.0.2').bytes, weight: 1, onlink: false },
      { linkIndex: 4, gateway: parseIp('fd00::2').bytes, weight: 256, onlink: true },
      { linkIndex: 5, weight: 2, onlink: false },
    ];
    const encoded = encodeMultipath(nexthops);
    expect(encoded.readUInt16LE(0)).toBe(16);
    expect(decodeMultipath(encoded)).toEqual([
      { linkIndex: 3, gateway: '10.1.0.2', weight: 1, onlink: false },
      { linkIndex: 4, gateway: 'fd00::2', weight: 256, onlink: true },
      { linkIndex: 5, gateway: undefined, weight: 2, onlink: false },
    ]);
  });

  it('reads the errno from the netlink package and from Node errors, and types it', () => {
    expect(errnoOf(new Error('Request rejected: EEXIST'))).toBe('EEXIST');
    expect(errnoOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBe('ENOENT');
    expect(errnoOf(new Error('something else'))).toBeUndefined();
    const error = kernelError(new Error('Request rejected: EEXIST'), "create bridge 'br0'", 'ns1');
    expect(error).toBeInstanceOf(KernelExistsError);
    expect(error).toMatchObject({ namespace: 'ns1', errno: 'EEXIST', code: 6 });
    expect(error.message).toBe(
      "Cannot create bridge 'br0' in network namespace 'ns1': it already exists (EEXIST).",
    );
    expect(kernelError(error, 'anything', 'other')).toBe(error);
  });
});

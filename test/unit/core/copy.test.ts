import { copyMessage, msToTimestamp, newConnection } from '../../../sdk/core/index.js';

describe('copyMessage', () => {
  it('copies a decoded message deeply: equal values, no shared objects', () => {
    const original = newConnection({
      id: 'c1',
      labels: { app: 'a' },
      mechanism: { type: 'KERNEL', parameters: { name: 'nsm-1' } },
      context: { ip_context: { src_ip_addrs: ['172.16.0.2/24'] }, extra_context: { k: 'v' } },
      path: {
        index: 0,
        path_segments: [{ name: 'nsc', id: 'c1', token: 't', expires: msToTimestamp(1_000), metrics: {} }],
      },
    });
    const copy = copyMessage(original);
    expect(copy).toEqual(original);
    copy.labels.app = 'changed';
    copy.mechanism!.parameters.name = 'changed';
    copy.context!.ip_context!.src_ip_addrs.push('changed');
    copy.path!.path_segments[0]!.expires!.seconds = 'changed';
    expect(original.labels.app).toBe('a');
    expect(original.mechanism!.parameters.name).toBe('nsm-1');
    expect(original.context!.ip_context!.src_ip_addrs).toEqual(['172.16.0.2/24']);
    expect(original.path!.path_segments[0]!.expires!.seconds).toBe('1');
  });

  it('copies bytes fields into their own buffer', () => {
    const original = { data: Buffer.from([1, 2, 3]) };
    const copy = copyMessage(original);
    copy.data[0] = 9;
    expect([...original.data]).toEqual([1, 2, 3]);
    expect(Buffer.isBuffer(copy.data)).toBe(true);
  });

  it('copies nested arrays of messages and keeps plain values, nulls and field order', () => {
    const original = {
      b: [
        { x: [1, 2], y: null },
        { x: [], y: { z: 'deep' } },
      ],
      a: 0,
      c: false,
      d: '',
    };
    const copy = copyMessage(original);
    expect(copy).toEqual(original);
    expect(Object.keys(copy)).toEqual(['b', 'a', 'c', 'd']);
    expect(copy.b).not.toBe(original.b);
    expect(copy.b[0]!.x).not.toBe(original.b[0]!.x);
    expect(copy.b[1]!.y).not.toBe(original.b[1]!.y);
  });
});

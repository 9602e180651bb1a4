import { connectionMac, lastingConnectionId } from '../../../endpoints/nsm/forwarder/index.js';
import { newConnection, newPathSegment } from '../../../sdk/core/index.js';

describe('connectionMac', () => {
  it('is the same for the same connection and side, and differs between sides and connections', () => {
    const macs = ['target-a-proxy', 'target-b-proxy'].flatMap((id) =>
      (['client', 'endpoint'] as const).map((side) => connectionMac(id, side)),
    );
    expect(new Set(macs).size).toBe(4);
    expect(connectionMac('target-a-proxy', 'client')).toBe(macs[0]);
  });

  it('is a locally administered unicast address', () => {
    for (let index = 0; index < 256; index++) {
      const mac = connectionMac(`connection-${index}`, index % 2 === 0 ? 'client' : 'endpoint');
      expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
      expect(parseInt(mac.slice(0, 2), 16) & 0x03).toBe(0x02);
    }
  });
});

describe('lastingConnectionId', () => {
  it("is the first path segment's id (the client's), whichever hop looks", () => {
    const connection = newConnection({
      id: 'forwarder-hop-id',
      path: {
        index: 2,
        path_segments: [
          newPathSegment({ name: 'target-a', id: 'target-a-proxy' }),
          newPathSegment({ name: 'nsm', id: 'nsm-hop-id' }),
          newPathSegment({ name: 'nsm-forwarder', id: 'forwarder-hop-id' }),
        ],
      },
    });
    expect(lastingConnectionId(connection)).toBe('target-a-proxy');
    expect(lastingConnectionId(newConnection({ id: 'alone' }))).toBe('alone');
  });
});

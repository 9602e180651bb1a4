import { Code } from '../../../sdk/core/index.js';
import { GrpcChannelCache } from '../../../sdk/grpc/index.js';

describe('GrpcChannelCache', () => {
  it('keeps one channel per target, however the address is written', () => {
    const channels = new GrpcChannelCache();
    const first = channels.networkService('127.0.0.1:5001');
    expect(channels.networkService(' 127.0.0.1:5001 ')).toBe(first);
    channels.monitorConnection('127.0.0.1:5001');
    channels.networkService('unix:///tmp/meridio-test.sock');
    expect(channels.size).toBe(2);
    channels.close();
    expect(channels.size).toBe(0);
  });

  it('refuses to dial after close, with a sentence', () => {
    const channels = new GrpcChannelCache();
    channels.close();
    expect(() => channels.networkService('127.0.0.1:5001')).toThrow(
      expect.objectContaining({
        code: Code.FAILED_PRECONDITION,
        message: expect.stringMatching(/has been closed/),
      }),
    );
  });

  it('rejects an address it cannot dial', () => {
    const channels = new GrpcChannelCache();
    expect(() => channels.networkService('unix://relative.sock')).toThrow(
      expect.objectContaining({ code: Code.INVALID_ARGUMENT }),
    );
    channels.close();
  });
});

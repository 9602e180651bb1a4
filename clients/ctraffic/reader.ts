import type { Socket } from 'node:net';

/** Reads exact byte counts from a socket, with a per-read timeout (ctraffic's 1 s read deadline). */
export class ExactReader {
  private buffered: Buffer[] = [];
  private length = 0;
  private waiter:
    { bytes: number; resolve: (data: Buffer) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered.push(chunk);
      this.length += chunk.length;
      this.settle();
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by peer')));
  }

  read(bytes: number, timeoutMs: number): Promise<Buffer> {
    if (this.waiter) return Promise.reject(new Error('a read is already pending'));
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`read timeout after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        bytes,
        resolve: (data) => {
          clearTimeout(timer);
          resolve(data);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.settle();
    });
  }

  private settle(): void {
    const waiter = this.waiter;
    if (!waiter) return;
    if (this.length >= waiter.bytes) {
      const all = this.buffered.length === 1 ? this.buffered[0]! : Buffer.concat(this.buffered, this.length);
      this.buffered = all.length > waiter.bytes ? [all.subarray(waiter.bytes)] : [];
      this.length -= waiter.bytes;
      this.waiter = undefined;
      waiter.resolve(all.subarray(0, waiter.bytes));
    } else if (this.failure) {
      this.waiter = undefined;
      waiter.reject(this.failure);
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    this.settle();
  }
}

/**
 * Network sysctls of one namespace (`net.*`), read and written through /proc/sys after the calling
 * thread entered the namespace: /proc/sys/net shows the namespace of the thread that opens the file, so
 * a synchronous read or write done inside `runInNetns` hits that namespace's value, with no child
 * process. Only `net.` keys are accepted: the others are host-wide and must not be changed from here.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { KernelInvalidArgumentError, kernelError } from './errors.js';
import { runInNetns } from './thread-netns.js';

export class Sysctl {
  constructor(private readonly netns: { readonly path: string; readonly label: string }) {}

  /**
   * Sets `key` (`net.ipv4.ip_forward`, or with slashes when a part holds a dot:
   * `net/ipv4/conf/eth0.5/rp_filter`) to `value`. Synchronous. Reverted only by setting it back; the
   * value goes away with the namespace.
   */
  set(key: string, value: string | number): void {
    const path = this.pathOf(key);
    try {
      runInNetns(this.netns.path, this.netns.label, () => writeFileSync(path, `${value}\n`));
    } catch (error) {
      throw kernelError(error, `set sysctl ${key} to ${value}`, this.netns.label);
    }
  }

  /** The current value of `key`, trimmed. Synchronous. */
  get(key: string): string {
    const path = this.pathOf(key);
    try {
      return runInNetns(this.netns.path, this.netns.label, () => readFileSync(path, 'utf8')).trim();
    } catch (error) {
      throw kernelError(error, `read sysctl ${key}`, this.netns.label);
    }
  }

  private pathOf(key: string): string {
    const parts = key.includes('/') ? key.split('/') : key.split('.');
    const valid =
      parts[0] === 'net' &&
      parts.length > 1 &&
      parts.every((part) => /^[A-Za-z0-9_.-]+$/.test(part) && part !== '.' && part !== '..');
    if (!valid) {
      throw new KernelInvalidArgumentError(
        `"${key}" is not a network sysctl of network namespace '${this.netns.label}': use a key under net. ` +
          '(with "/" separators when a part contains a dot).',
        { namespace: this.netns.label },
      );
    }
    return `/proc/sys/${parts.join('/')}`;
  }
}

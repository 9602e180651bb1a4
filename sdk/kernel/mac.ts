/** Ethernet addresses: `aa:bb:cc:dd:ee:ff` ⇄ 6 bytes. */
import { KernelInvalidArgumentError } from './errors.js';

export function parseMac(text: string, namespace: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(text)) {
    throw new KernelInvalidArgumentError(
      `"${text}" is not a MAC address (write six hex pairs separated by ":") for network namespace '${namespace}'.`,
      { namespace },
    );
  }
  return Buffer.from(text.replace(/:/g, ''), 'hex');
}

export function formatMac(bytes: Buffer): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join(':');
}

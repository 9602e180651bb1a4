import { InvalidArgumentError } from '../../core/index.js';
import { type Addresses, formatPrefix, type Links, networkOf, parsePrefix } from '../../kernel/index.js';

/** What LoopbackVips needs of a namespace (a `NetnsHandle` is one). */
export interface LoopbackNamespace {
  readonly links: Pick<Links, 'find' | 'setUp'>;
  readonly addresses: Pick<Addresses, 'add' | 'delete'>;
}

export interface LoopbackVipsOptions {
  readonly netns: LoopbackNamespace;
  /** Default `lo`. */
  readonly device?: string;
}

function canonicalVip(vip: string): string {
  try {
    return formatPrefix(networkOf(parsePrefix(vip, 'VIP')));
  } catch (error) {
    throw new InvalidArgumentError(
      `the VIP "${vip}" is not an IP prefix (write 20.0.0.1/32 or 2000::1/128)`,
      {
        cause: error,
      },
    );
  }
}

/**
 * The target's VIPs as addresses of its loopback device, so it answers traffic to them: present while at
 * least one holder (a connection) holds them, following VIP changes; every change reconciles the device
 * with the wanted state, one at a time, so calls are idempotent and a failed one is repaired by the next.
 */
export class LoopbackVips {
  readonly device: string;
  private readonly netns: LoopbackNamespace;
  private vips: readonly string[] = [];
  private readonly holders = new Set<string>();
  private readonly applied = new Set<string>();
  private tail: Promise<void> = Promise.resolve();

  constructor(options: LoopbackVipsOptions) {
    this.netns = options.netns;
    this.device = options.device ?? 'lo';
  }

  /** The VIPs (CIDRs) to carry; those no longer listed are removed. */
  setVips(vips: readonly string[]): Promise<void> {
    const canonical = [...new Set(vips.map(canonicalVip))];
    return this.change(() => {
      this.vips = canonical;
    });
  }

  /** `holder` (a connection id) needs the VIPs. */
  hold(holder: string): Promise<void> {
    return this.change(() => {
      this.holders.add(holder);
    });
  }

  /** `holder` no longer needs them; they go with the last holder. */
  release(holder: string): Promise<void> {
    return this.change(() => {
      this.holders.delete(holder);
    });
  }

  /** Takes every VIP this object put on the device off again, whoever held them. */
  clear(): Promise<void> {
    return this.change(() => {
      this.holders.clear();
    });
  }

  /** The VIPs on the device now, as far as this object put them there. */
  present(): string[] {
    return [...this.applied];
  }

  private change(update: () => void): Promise<void> {
    update();
    const run = (): Promise<void> => this.reconcile();
    const result = this.tail.then(run, run);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async reconcile(): Promise<void> {
    const wanted = new Set(this.holders.size > 0 ? this.vips : []);
    for (const vip of [...this.applied].filter((vip) => !wanted.has(vip))) {
      await this.netns.addresses.delete(this.device, vip);
      this.applied.delete(vip);
    }
    const missing = [...wanted].filter((vip) => !this.applied.has(vip));
    if (missing.length === 0) return;
    // A fresh namespace's loopback is down; a VIP on a down device answers nothing.
    const link = await this.netns.links.find(this.device);
    if (link !== undefined && !link.up) await this.netns.links.setUp(this.device);
    for (const vip of missing) {
      await this.netns.addresses.add(this.device, vip);
      this.applied.add(vip);
    }
  }
}

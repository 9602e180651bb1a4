/**
 * A handle on one network namespace: its own rtnetlink socket (opened inside the namespace, so every
 * request acts there) and the operation groups built on it. Get handles from `Kernel.netns()`, which
 * caches one per namespace; `close()` releases the socket (the namespace itself is untouched).
 */
import type { RtNetlinkSocket } from 'netlink';
import type { Logger } from '../log/index.js';
import { type AddressEvent, watchAddresses, type WatchAddressesOptions } from './address-events.js';
import { Addresses } from './addresses.js';
import { KernelClosedError, kernelError } from './errors.js';
import { watchLinks, type LinkEvent, type WatchLinksOptions } from './link-events.js';
import { Links } from './links.js';
import { inodeUrlOf, namespaceIdOf, type NamespaceId } from './namespace-identity.js';
import { Neighbours } from './neighbours.js';
import type { NetnsContext } from './netns-context.js';
import { openNetnsSocket } from './netns-socket.js';
import { Routes } from './routes.js';
import { Rules } from './rules.js';
import { Sysctl } from './sysctl.js';

export class NetnsHandle implements NetnsContext {
  readonly id: NamespaceId;
  readonly inodeUrl: string;
  readonly links: Links;
  readonly addresses: Addresses;
  readonly routes: Routes;
  readonly rules: Rules;
  readonly neighbours: Neighbours;
  readonly sysctl: Sysctl;
  private socket: RtNetlinkSocket | undefined;
  private tail: Promise<void> = Promise.resolve();

  /** Opens the socket in the namespace pinned at `path`; `label` names it in messages. */
  constructor(
    readonly path: string,
    readonly label: string,
    logger?: Logger,
  ) {
    this.id = namespaceIdOf(path);
    this.inodeUrl = inodeUrlOf(this.id);
    this.socket = openNetnsSocket(path, label, {
      onError: (error) => logger?.warn({ netns: label, err: error }, 'netlink socket error'),
    });
    this.links = new Links(this);
    this.addresses = new Addresses(this, this.links);
    this.routes = new Routes(this, this.links);
    this.rules = new Rules(this);
    this.neighbours = new Neighbours(this);
    this.sysctl = new Sysctl(this);
  }

  get closed(): boolean {
    return this.socket === undefined;
  }

  async request<T>(action: string, call: (socket: RtNetlinkSocket) => Promise<T>): Promise<T> {
    const socket = this.socket;
    if (socket === undefined) {
      throw new KernelClosedError(
        `Cannot ${action} in network namespace '${this.label}': its handle was closed (the namespace was deleted or the kernel layer closed).`,
        { namespace: this.label },
      );
    }
    const run = async (): Promise<T> => {
      try {
        return await call(socket);
      } catch (error) {
        throw kernelError(error, action, this.label);
      }
    };
    // One request at a time: the package assembles a multipart dump reply across reads and gives up
    // when another request's reply arrives in between ("Multipart message not terminated properly").
    const result = this.tail.then(run, run);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Link added/removed/changed events in this namespace, until `options.signal` aborts. */
  watchLinks(options: WatchLinksOptions = {}): AsyncGenerator<LinkEvent> {
    this.checkOpen('watch links');
    return watchLinks(this, options);
  }

  /** Address added/removed/changed (DAD finished or failed) events, until `options.signal` aborts. */
  watchAddresses(options: WatchAddressesOptions = {}): AsyncGenerator<AddressEvent> {
    this.checkOpen('watch addresses');
    return watchAddresses(this, options);
  }

  private checkOpen(action: string): void {
    if (this.socket === undefined) {
      throw new KernelClosedError(
        `Cannot ${action} in network namespace '${this.label}': its handle was closed.`,
        { namespace: this.label },
      );
    }
  }

  /** Closes the socket; later requests fail with KernelClosedError. Idempotent. */
  close(): void {
    this.socket?.socket.close();
    this.socket = undefined;
  }
}

import { Code, InvalidArgumentError } from '../core/index.js';
import { DEFAULTS } from '../defaults.js';
import {
  NetnsNotFoundError,
  NfQueueBusyError,
  NfQueueError,
  NfQueuePermissionError,
  NfQueueUnavailableError,
} from './errors.js';
import { resolveNetns } from './netns-path.js';
import { assertLayoutMatches, SharedFlowTable, type FlowTable } from './flow-table.js';
import { isNativeSetupError, nativeBinding, type NativeQueueHandle } from './native.js';

export interface NfQueueOptions {
  /** The NFQUEUE number (the rule's --queue-num), 0..65535. Queue numbers are per network namespace. */
  queue: number;
  /** The table the queue thread looks flows up in. */
  table: FlowTable;
  /** Accepted packets get fwmark = offset + identifier; default the trench's offset (5000). */
  fwmarkOffset?: number;
  /** Serve the queue of this namespace: a name under /run/netns, or a path to a namespace file. */
  netns?: string;
  /** Packets the kernel holds for this queue before it drops (or, with failOpen, accepts) more; default 4096. */
  queueMaxLength?: number;
  /** When the queue is full, the kernel accepts packets unmarked instead of dropping them; default false. */
  failOpen?: boolean;
  /**
   * Flow pinning: a marked packet is handed back with NF_REPEAT instead of NF_ACCEPT, so it runs the
   * mangle PREROUTING hook again with its mark, where the LB's pinning chain saves the mark in conntrack
   * (`applyLbChains` with pinning). Only with that chain: anywhere else the packet would be queued again.
   * Default false.
   */
  repeatMarked?: boolean;
  /** Packets decided per wake-up and answered with one sendto; default 64. */
  batchSize?: number;
  /** Bytes of each packet copied to user space (headers only are needed); default 128. */
  copyRange?: number;
  /** Socket receive buffer; default 8 MiB. */
  receiveBufferBytes?: number;
}

export interface NfQueueStats {
  /** Packets received from the kernel. */
  packets: number;
  /** Accepted with a mark. */
  accepted: number;
  /** Dropped because their table entry was empty (identifier 0). */
  dropped: number;
  /** Wake-ups of the queue thread (packets / batches = mean batch size). */
  batches: number;
  /** Times the socket buffer overflowed (ENOBUFS): the kernel dropped packets it could not deliver. */
  queueOverruns: number;
  /** Packets per identifier (index = identifier; index 0 = packets that found an empty entry). */
  perIdentifier: number[];
  /** Packets that were not a parsable IP packet (hashed on an all-zero key). */
  unparsed: number;
  /** Packets sent through the hook again because they arrived before the copy mode was set. */
  repeated: number;
  /** JavaScript-callback mode only: packets dropped because they could not be handed to JavaScript. */
  callbackOverflows: number;
  receiveErrors: number;
  sendErrors: number;
  /** Verdicts the kernel rejected. */
  verdictErrors: number;
  /** The kernel's counters for this queue (absent once it is closed). */
  kernel?: { waiting: number; queueDropped: number; userDropped: number };
}

/** One NFQUEUE queue served by a native thread. Does not keep the Node.js process alive by itself. */
export interface NfQueue {
  readonly queue: number;
  readonly netns: string | undefined;
  stats(): NfQueueStats;
  /** Stops and joins the thread and unbinds the queue (packets still waiting are dropped by the kernel). */
  close(): void;
}

/** Binds the queue and starts its native thread; every verdict is decided without JavaScript. */
export function openNfQueue(options: NfQueueOptions): NfQueue {
  return open(options, undefined);
}

export interface JsCallbackQueueOptions extends NfQueueOptions {
  /** Called once per packet on the JavaScript thread with its first bytes; returns the identifier (0 = drop). */
  onPacket: (packet: Uint8Array) => number;
}

/**
 * The same queue, but every packet crosses to JavaScript (a thread-safe function call per packet).
 * It exists as the benchmark's comparison of what per-packet JavaScript costs; the LB never uses it.
 */
export function openJsCallbackQueue(options: JsCallbackQueueOptions): NfQueue {
  return open(options, options.onPacket);
}

function open(options: NfQueueOptions, callback: ((packet: Uint8Array) => number) | undefined): NfQueue {
  const settings = validate(options);
  const table = options.table;
  if (!(table instanceof SharedFlowTable)) {
    throw new InvalidArgumentError('The queue needs a table made by createFlowTable().');
  }
  assertLayoutMatches();
  const netnsPath = resolveNetns(options.netns);
  const readerSlot = table.acquireReader();
  let handle: NativeQueueHandle;
  try {
    const Handle = nativeBinding().NfQueueHandle;
    handle = new Handle({
      ...settings,
      table: table.words,
      readerSlot,
      ...(netnsPath === undefined ? {} : { netnsPath }),
      ...(callback === undefined ? {} : { callback }),
    });
  } catch (error) {
    table.releaseReader(readerSlot);
    throw translateSetupError(error, options.queue, options.netns);
  }
  return new OpenQueue(handle, options.queue, options.netns, () => table.releaseReader(readerSlot));
}

class OpenQueue implements NfQueue {
  private closed = false;

  constructor(
    private readonly handle: NativeQueueHandle,
    readonly queue: number,
    readonly netns: string | undefined,
    private readonly onClose: () => void,
  ) {}

  stats(): NfQueueStats {
    const raw = this.handle.stats();
    return {
      packets: raw.packets,
      accepted: raw.accepted,
      dropped: raw.dropped,
      batches: raw.batches,
      queueOverruns: raw.enobufs,
      perIdentifier: Array.from(raw.perIdentifier),
      unparsed: raw.unparsed,
      repeated: raw.repeated,
      callbackOverflows: raw.callbackOverflows,
      receiveErrors: raw.receiveErrors,
      sendErrors: raw.sendErrors,
      verdictErrors: raw.verdictErrors,
      ...(raw.kernel === undefined ? {} : { kernel: { ...raw.kernel } }),
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handle.close();
    this.onClose();
  }
}

interface QueueSettings {
  queue: number;
  fwmarkOffset: number;
  queueMaxLength: number;
  failOpen: boolean;
  repeatMarked: boolean;
  batchSize: number;
  copyRange: number;
  receiveBufferBytes: number;
}

function validate(options: NfQueueOptions): QueueSettings {
  const settings: QueueSettings = {
    queue: options.queue,
    fwmarkOffset: options.fwmarkOffset ?? DEFAULTS.fwmarkOffset,
    queueMaxLength: options.queueMaxLength ?? 4096,
    failOpen: options.failOpen ?? false,
    repeatMarked: options.repeatMarked ?? false,
    batchSize: options.batchSize ?? 64,
    copyRange: options.copyRange ?? 128,
    receiveBufferBytes: options.receiveBufferBytes ?? 8 * 1024 * 1024,
  };
  requireInteger('queue', settings.queue, 0, 0xffff);
  requireInteger('queueMaxLength', settings.queueMaxLength, 1, 1 << 20);
  requireInteger('batchSize', settings.batchSize, 1, 1024);
  // An IPv6 header with a transport header needs 60 bytes; ICMP errors quote a second one.
  requireInteger('copyRange', settings.copyRange, 64, 0xffff);
  requireInteger('receiveBufferBytes', settings.receiveBufferBytes, 64 * 1024, 1 << 30);
  const maxTargets = options.table.maxTargets;
  requireInteger('fwmarkOffset', settings.fwmarkOffset, 0, 0xffffffff - maxTargets);
  return settings;
}

function requireInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(
      `The queue option ${name} must be an integer from ${min} to ${max}, got ${value}.`,
    );
  }
}

function translateSetupError(error: unknown, queue: number, netns: string | undefined): Error {
  if (!isNativeSetupError(error)) {
    return new NfQueueError(
      `Opening NFQUEUE queue ${queue} failed: ${String(error)}`,
      Code.INTERNAL,
      undefined,
      {
        cause: error,
      },
    );
  }
  const where = netns === undefined ? 'in the current network namespace' : `in network namespace ${netns}`;
  const detail = `${error.step} failed with ${error.code}`;
  const options = { cause: error };
  if (error.step.startsWith('open network namespace') || error.step === 'enter the network namespace') {
    if (error.code === 'ENOENT') {
      return new NetnsNotFoundError(
        `Network namespace ${netns} does not exist (${detail}).`,
        error.code,
        options,
      );
    }
    if (error.code === 'EPERM' || error.code === 'EACCES') {
      return new NfQueuePermissionError(
        `Entering network namespace ${netns} is not permitted (${detail}); it needs CAP_SYS_ADMIN.`,
        error.code,
        options,
      );
    }
  }
  switch (error.code) {
    case 'EBUSY':
      return new NfQueueBusyError(
        `NFQUEUE queue ${queue} ${where} is already bound by another socket (${detail}); ` +
          `another LB or a second queue object holds it.`,
        error.code,
        options,
      );
    case 'EPERM':
    case 'EACCES':
      return new NfQueuePermissionError(
        `Binding NFQUEUE queue ${queue} ${where} is not permitted (${detail}); it needs CAP_NET_ADMIN.`,
        error.code,
        options,
      );
    case 'EPROTONOSUPPORT':
    case 'EAFNOSUPPORT':
    case 'EOPNOTSUPP':
    case 'ENOENT':
    case 'EINVAL':
      return new NfQueueUnavailableError(
        `NFQUEUE is not available ${where} (${detail}): the kernel needs nfnetlink_queue ` +
          `(module nfnetlink_queue, and iptables' NFQUEUE target for the rules).`,
        error.code,
        options,
      );
    default:
      return new NfQueueError(
        `Opening NFQUEUE queue ${queue} ${where} failed (${detail}).`,
        Code.INTERNAL,
        error.code,
        options,
      );
  }
}

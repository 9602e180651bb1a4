/**
 * Loads the compiled addon (binding.gyp → build/Release/meridio_nfqueue.node) once, on first use, so
 * that importing this folder never fails on a machine where only the pure parts are needed.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeAddonMissingError } from './errors.js';

const ADDON_FILE = join('build', 'Release', 'meridio_nfqueue.node');
/** Overrides where the addon is looked for (a path to the .node file). */
export const ADDON_PATH_VARIABLE = 'MERIDIO_NFQUEUE_ADDON';

export interface NativeLookup {
  identifier: number;
  hash: number;
  entry: number | null;
}

export interface NativeQueueOptions {
  table: Int32Array;
  queue: number;
  fwmarkOffset: number;
  queueMaxLength: number;
  batchSize: number;
  copyRange: number;
  receiveBufferBytes: number;
  readerSlot: number;
  failOpen: boolean;
  repeatMarked: boolean;
  netnsPath?: string;
  callback?: (packet: Buffer) => number;
}

export interface NativeQueueStats {
  packets: number;
  accepted: number;
  dropped: number;
  batches: number;
  enobufs: number;
  receiveErrors: number;
  sendErrors: number;
  verdictErrors: number;
  unparsed: number;
  repeated: number;
  callbackOverflows: number;
  perIdentifier: Float64Array;
  kernel?: { waiting: number; queueDropped: number; userDropped: number };
}

export interface NativeQueueHandle {
  stats(): NativeQueueStats;
  close(): void;
}

export interface NativeTableLayout {
  magic: number;
  wordGeneration: number;
  wordSeed: number;
  wordCapacity: number;
  wordSize0: number;
  wordMaxTargets: number;
  wordReaderCount: number;
  wordFirstReader: number;
  maxReaders: number;
  entriesOffset: number;
}

export interface NativeBinding {
  NfQueueHandle: new (options: NativeQueueOptions) => NativeQueueHandle;
  /** Fills `out` (13 words, see native/addon.cc) and returns true, or returns false for non-IP bytes. */
  hashPacket(packet: Uint8Array, seed: number, out: Uint32Array): boolean;
  lookupPacket(table: Int32Array, packet: Uint8Array): NativeLookup;
  /** Reads the whole active table as a queue thread does (a self-check of the publish protocol). */
  scanTable(table: Int32Array, readerSlot: number): { generation: number; size: number; uniform: boolean };
  /** Deletes the conntrack entries carrying any of `marks` (both families) on a worker thread. */
  deleteConntrackByMarks(netnsPath: string | undefined, marks: Uint32Array): Promise<void>;
  tableLayout: NativeTableLayout;
}

/** The error the addon throws when the kernel refuses a setup step. */
export interface NativeSetupError extends Error {
  code: string;
  errno: number;
  step: string;
}

/** Not `instanceof Error`: the addon's errors come from Node's main realm, which a vm context (jest) does not share. */
export function isNativeSetupError(error: unknown): error is NativeSetupError {
  const candidate = error as Partial<NativeSetupError> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.step === 'string' &&
    typeof candidate.code === 'string'
  );
}

let loaded: NativeBinding | undefined;

export function nativeBinding(): NativeBinding {
  loaded ??= load();
  return loaded;
}

function load(): NativeBinding {
  const candidates = addonCandidates();
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new NativeAddonMissingError(
      `The NFQUEUE addon is not built: ${candidates[0]} does not exist` +
        (candidates.length > 1 ? `, nor does ${ADDON_FILE} in any directory above; ` : '; ') +
        `run "npm run build:native" (node-gyp rebuild; needs libnetfilter-queue-dev and libmnl-dev).`,
    );
  }
  try {
    return createRequire(import.meta.url)(found) as NativeBinding;
  } catch (error) {
    throw new NativeAddonMissingError(`The NFQUEUE addon at ${found} cannot be loaded: ${String(error)}.`, {
      cause: error,
    });
  }
}

/** The repository root holds build/Release: look in every directory above this file (sources, dist/, …). */
function addonCandidates(): string[] {
  const override = process.env[ADDON_PATH_VARIABLE];
  if (override !== undefined && override !== '') return [resolve(override)];
  const candidates: string[] = [];
  for (let directory = dirname(fileURLToPath(import.meta.url)); ; directory = dirname(directory)) {
    candidates.push(join(directory, ADDON_FILE));
    if (dirname(directory) === directory) return candidates;
  }
}

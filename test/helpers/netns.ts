/**
 * Test helper for anything that needs real network namespaces (root only):
 * - `skipUnlessRoot(what)`: `describe` when the process is root and iproute2 is there, otherwise
 *   `describe.skip` with the reason printed (CI is root, so there the tests run).
 * - `useNetnsSandbox(label)`: every namespace a test makes gets a unique prefix; after each test (or
 *   after all, with `{ scope: 'all' }`) the sandbox deletes everything with its prefix, even when the
 *   test failed, and then asserts that nothing with the prefix is left.
 * - `ip(namespace, …args)` / `ipJson(…)`: iproute2's view, to check the kernel layer independently.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import {
  createKernel,
  deleteNamespace,
  listNamespaces,
  type Kernel,
  type NamespaceInfo,
} from '../../sdk/kernel/index.js';

/**
 * Why namespace tests cannot run here, or undefined when they can: they need root, iproute2, and the
 * given extra commands (e.g. `ping`, `iptables`).
 */
export function netnsUnavailableReason(commands: readonly string[] = []): string | undefined {
  const uid = process.getuid?.();
  if (uid !== 0) {
    return `it needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces, and runs as uid ${uid}`;
  }
  for (const command of ['ip', ...commands]) {
    if (spawnSync('sh', ['-c', `command -v ${command}`]).status !== 0)
      return `the command \`${command}\` is not installed`;
  }
  return undefined;
}

/** `describe` when namespace tests can run; otherwise `describe.skip`, printing the reason. */
export function skipUnlessRoot(what: string, commands: readonly string[] = []): jest.Describe {
  const reason = netnsUnavailableReason(commands);
  if (reason === undefined) return describe;
  console.warn(`Skipping ${what}: ${reason}.`);
  return describe.skip;
}

export interface NetnsSandbox {
  /** Unique for this sandbox: `<label><6 random chars>-`; short enough to start an interface name. */
  readonly prefix: string;
  /** A kernel layer for the current test; closed (its sockets released) at each cleanup. */
  readonly kernel: Kernel;
  /** `<prefix><suffix>`. */
  name(suffix: string): string;
  /** Creates the namespace `<prefix><suffix>`. */
  create(suffix: string): NamespaceInfo;
  /** Deletes every namespace and root-namespace link with the prefix; safe to call twice. */
  cleanup(): void;
  /** Namespaces and root-namespace links with the prefix that still exist. */
  leftovers(): string[];
}

export interface SandboxOptions {
  /** Clean up after each test (default) or once after all tests of the file. */
  scope?: 'each' | 'all';
}

/** A sandbox whose cleanup and leftover assertion are registered as jest hooks. */
export function useNetnsSandbox(label: string, options: SandboxOptions = {}): NetnsSandbox {
  const sandbox = netnsSandbox(label);
  const hook = options.scope === 'all' ? afterAll : afterEach;
  hook(() => {
    sandbox.cleanup();
    expect(sandbox.leftovers()).toEqual([]);
  });
  return sandbox;
}

/** A sandbox without jest hooks (for benchmarks and scripts): call `cleanup()` yourself. */
export function netnsSandbox(label: string): NetnsSandbox {
  if (!/^[a-z][a-z0-9]{0,5}$/.test(label)) {
    throw new Error(
      `sandbox label "${label}" must be 1-6 lower-case letters or digits, starting with a letter`,
    );
  }
  const prefix = `${label}${randomBytes(6)
    .toString('base64url')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '0')
    .slice(0, 6)}-`;
  let kernel: Kernel | undefined;
  const sandbox: NetnsSandbox = {
    prefix,
    get kernel(): Kernel {
      kernel ??= createKernel();
      return kernel;
    },
    name: (suffix) => `${prefix}${suffix}`,
    create: (suffix) => sandbox.kernel.createNamespace(`${prefix}${suffix}`),
    cleanup: () => {
      const errors: unknown[] = [];
      for (const name of listNamespaces().filter((n) => n.startsWith(prefix))) {
        try {
          if (kernel !== undefined) kernel.deleteNamespace(name);
          else deleteNamespace(name);
        } catch (error) {
          errors.push(error);
        }
      }
      kernel?.close();
      kernel = undefined;
      for (const link of rootLinks().filter((n) => n.startsWith(prefix))) {
        spawnSync('ip', ['link', 'del', link]);
      }
      if (errors.length > 0) throw errors[0];
    },
    leftovers: () => [
      ...listNamespaces()
        .filter((n) => n.startsWith(prefix))
        .map((n) => `namespace ${n}`),
      ...rootLinks()
        .filter((n) => n.startsWith(prefix))
        .map((n) => `root-namespace link ${n}`),
    ],
  };
  return sandbox;
}

function rootLinks(): string[] {
  try {
    return readdirSync('/sys/class/net');
  } catch {
    return [];
  }
}

/** `ip -n <namespace> …args` (stdout); throws with stderr when it fails. */
export function ip(namespace: string, ...args: string[]): string {
  return execFileSync('ip', ['-n', namespace, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** `ip -n <namespace> -j …args`, parsed. */
export function ipJson<T = Record<string, unknown>[]>(namespace: string, ...args: string[]): T {
  const out = ip(namespace, '-j', ...args).trim();
  return (out === '' ? [] : JSON.parse(out)) as T;
}

/** Runs a command inside a namespace (`ip netns exec`), returning its exit status and output. */
export function execIn(
  namespace: string,
  command: string,
  ...args: string[]
): { status: number; output: string } {
  const result = spawnSync('ip', ['netns', 'exec', namespace, command, ...args], { encoding: 'utf8' });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}

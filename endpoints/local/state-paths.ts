/**
 * The files of one local instance, all in its state directory: the unix sockets of nsm, nsp, ipam and
 * the endpoints (reachable from every namespace, as the filesystem is shared), the databases, the
 * configuration file the components watch, the desired topology, the record of what the supervisor
 * made, and one log per process.
 */
import { join } from 'node:path';

export class StatePaths {
  constructor(readonly dir: string) {}

  get pidFile(): string {
    return join(this.dir, 'supervisor.pid');
  }
  get controlSocket(): string {
    return join(this.dir, 'control.sock');
  }
  /** The `meridio.conf` file (VIPs) every component watches; edited by `vip add|remove`. */
  get configFile(): string {
    return join(this.dir, 'meridio.conf');
  }
  /** What `up` asked for (JSON); the supervisor reads it at start. */
  get topologyFile(): string {
    return join(this.dir, 'topology.json');
  }
  /** Namespaces and processes the supervisor made, so `down` finds them even after it crashed. */
  get resourcesFile(): string {
    return join(this.dir, 'resources.json');
  }
  get logDir(): string {
    return join(this.dir, 'logs');
  }
  log(name: string): string {
    return join(this.logDir, `${name}.log`);
  }
  get socketDir(): string {
    return join(this.dir, 'sockets');
  }
  /** `unix://<dir>/sockets/<name>.sock`: a gRPC service address. */
  service(name: string): string {
    return `unix://${join(this.socketDir, `${name}.sock`)}`;
  }
  get metricsDir(): string {
    return join(this.dir, 'metrics');
  }
  /** `unix://<dir>/metrics/<name>.sock`: where process `name` serves its metrics. */
  metrics(name: string): string {
    return `unix://${join(this.metricsDir, `${name}.sock`)}`;
  }
  database(name: string): string {
    return join(this.dir, `${name}.db`);
  }
}

/** Entries of a state directory that `down` removes; anything else found there is left alone. */
export const STATE_ENTRIES: readonly RegExp[] = [
  /^supervisor\.(pid|log)$/,
  /^control\.sock$/,
  /^meridio\.conf$/,
  /^\.meridio\.conf\.[0-9a-f]+\.tmp$/,
  /^topology\.json$/,
  /^resources\.json(\.tmp)?$/,
  /^(nsp|ipam)\.db(-wal|-shm|-journal)?$/,
  /^logs$/,
  /^sockets$/,
  /^metrics$/,
];

/** `$XDG_RUNTIME_DIR/meridio-local` when set (a per-user tmpfs), else `/run/meridio-local`. */
export function defaultStateDir(env: Readonly<Record<string, string | undefined>>): string {
  const runtime = env.XDG_RUNTIME_DIR;
  return runtime !== undefined && runtime !== '' ? join(runtime, 'meridio-local') : '/run/meridio-local';
}

/** `meridio local up`: prepares the state directory, starts the supervisor in the background, waits until ready. */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';

import type { LevelWithSilent } from 'pino';

import { writeConfigFile } from '../../../sdk/config/index.js';
import { namespaceExists } from '../../../sdk/kernel/index.js';
import { setting, type SettingsValues } from '../../../sdk/settings/index.js';
import { MERIDIO_BIN } from '../components.js';
import { LocalAlreadyUpError, LocalUsageError } from '../errors.js';
import {
  checkSpec,
  externalNamespace,
  gatewayNamespace,
  initialLbs,
  initialProxies,
  LIMITS,
  planScale,
  type TopologySpec,
} from '../plan.js';
import { INSTANCE_ENV } from '../resources.js';
import { STATE_ENTRIES, StatePaths } from '../state-paths.js';
import { writeTopologyFile } from '../topology-file.js';
import { checkVips } from '../vips.js';
import { stateDirSetting, type Io } from './common.js';
import { supervisorPid } from './supervisor-pid.js';
import { waitReady } from './progress.js';

export function upSettings(env: Readonly<Record<string, string | undefined>>) {
  return {
    lbs: setting.integer({ description: 'load balancers', default: 2, min: 1, max: LIMITS.lbs }),
    proxies: setting.integer({
      description: 'nodes, each with its proxy',
      default: 2,
      min: 1,
      max: LIMITS.proxies,
    }),
    targets: setting.integer({
      description: 'targets, spread over the nodes',
      default: 4,
      min: 0,
      max: LIMITS.targets,
    }),
    vips: setting.list({
      item: setting.string({ placeholder: 'cidr', description: 'a VIP' }),
      description: 'the VIPs, written to the configuration file the components watch',
      default: ['20.0.0.1/32', '2000::1/128'],
    }),
    stateDir: stateDirSetting(env),
    prefix: setting.string({ description: 'the prefix of every network namespace name', default: 'meridio' }),
    timeout: setting.duration({
      description: 'how long to wait for the instance to be ready',
      default: 180_000,
    }),
    wait: setting.boolean({
      description: 'wait until every target is registered and reachable (false: return once started)',
      default: true,
    }),
    logLevel: setting.logLevel({ description: 'the log level of every process', default: 'info' }),
  };
}

/** The namespaces `up` will create, so existing ones are reported before anything is made. */
function plannedNamespaces(spec: TopologySpec): string[] {
  const proxies = initialProxies(spec);
  const targets = planScale(
    spec.prefix,
    [],
    spec.targets,
    proxies.map((proxy) => proxy.node),
  ).add;
  return [
    externalNamespace(spec.prefix),
    gatewayNamespace(spec.prefix),
    ...initialLbs(spec).map((lb) => lb.namespace),
    ...proxies.map((proxy) => proxy.namespace),
    ...targets.map((target) => target.namespace),
  ];
}

export interface UpRequest {
  readonly spec: TopologySpec;
  readonly vips: readonly string[];
  readonly stateDir: string;
  readonly logLevel: LevelWithSilent;
}

/** Checks, prepares the state directory and starts the supervisor; returns its paths and pid. */
export async function startInstance(
  request: UpRequest,
  env: NodeJS.ProcessEnv,
): Promise<{ paths: StatePaths; pid: number }> {
  const vips = checkVips(request.vips);
  const spec = checkSpec(request.spec);
  const paths = new StatePaths(resolve(request.stateDir));
  const pid = supervisorPid(paths);
  if (pid !== undefined) {
    throw new LocalAlreadyUpError(
      `Meridio local is already up in ${paths.dir} (supervisor pid ${pid}): see "meridio local status", or take it down with "meridio local down" first.`,
    );
  }
  if (
    existsSync(paths.dir) &&
    readdirSync(paths.dir).some((entry) => STATE_ENTRIES.some((p) => p.test(entry)))
  ) {
    throw new LocalAlreadyUpError(
      `${paths.dir} holds the state of an instance whose supervisor is not running: remove what it left with "meridio local down --state-dir ${paths.dir}" first.`,
    );
  }
  const taken = plannedNamespaces(spec).filter((name) => namespaceExists(name));
  if (taken.length > 0) {
    throw new LocalUsageError(
      `The network namespaces ${taken.join(', ')} exist already: remove them, or choose another --prefix.`,
    );
  }
  for (const dir of [paths.dir, paths.logDir, paths.socketDir, paths.metricsDir])
    mkdirSync(dir, { recursive: true });
  await writeConfigFile(paths.configFile, { vips });
  writeTopologyFile(paths.topologyFile, { spec, logLevel: request.logLevel });
  const log = openSync(paths.log('supervisor'), 'a');
  let daemon;
  try {
    daemon = spawn(process.execPath, [MERIDIO_BIN, 'local', 'supervise', '--state-dir', paths.dir], {
      detached: true,
      stdio: ['ignore', log, log],
      env: { ...env, [INSTANCE_ENV]: paths.dir },
    });
    daemon.unref();
  } finally {
    closeSync(log);
  }
  if (daemon.pid === undefined)
    throw new LocalUsageError(`Cannot start the supervisor (${process.execPath}).`);
  return { paths, pid: daemon.pid };
}

export async function up(
  settings: SettingsValues<ReturnType<typeof upSettings>>,
  env: NodeJS.ProcessEnv,
  io: Io,
): Promise<number> {
  const started = Date.now();
  const { paths, pid } = await startInstance(
    {
      spec: {
        prefix: settings.prefix,
        lbs: settings.lbs,
        proxies: settings.proxies,
        targets: settings.targets,
      },
      vips: settings.vips,
      stateDir: settings.stateDir,
      logLevel: settings.logLevel,
    },
    env,
  );
  if (!settings.wait) {
    io.stdout.write(
      `Meridio local is starting in the background (state ${paths.dir}); see "meridio local status".\n`,
    );
    return 0;
  }
  io.stdout.write(`Bringing Meridio local up (state ${paths.dir})…\n`);
  const status = await waitReady(paths, {
    timeoutMs: settings.timeout,
    output: io.stdout,
    what: 'up',
    supervisor: pid,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  io.stdout.write(
    `Meridio local is up in ${seconds} s: ${status.lbs.length} LBs, ${status.proxies.length} proxies (one per node), ` +
      `${status.targets.length} targets; VIPs ${status.vips.join(', ') || '(none)'}.\n` +
      `Traffic from the external host (${status.external.namespace}): "meridio local traffic"; more with "meridio local status".\n`,
  );
  return 0;
}

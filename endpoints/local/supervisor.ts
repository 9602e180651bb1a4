/**
 * `meridio local supervise`: the daemon `up` starts in the background. It owns the instance: builds it
 * from the topology file, keeps its processes running, answers the control socket, serves its own
 * metrics, and on `down` (or SIGTERM) stops everything and removes what it made.
 */
import { rmSync, writeFileSync } from 'node:fs';

import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { Gauge, type Registry, startProcessMetrics } from '../../sdk/metrics/index.js';
import { waitForTermination } from '../../sdk/settings/index.js';
import { LocalCluster } from './cluster.js';
import { serveControl } from './control.js';
import type { StatePaths } from './state-paths.js';
import { readTopologyFile } from './topology-file.js';

function registerMetrics(cluster: LocalCluster, registry: Registry): void {
  new Gauge({
    name: 'meridio_local_process_up',
    help: 'Whether each process of the instance is running (1) or waiting to be restarted (0)',
    labelNames: ['process'],
    registers: [registry],
    collect() {
      this.reset();
      for (const process of cluster.processes())
        this.set({ process: process.spec.name }, process.running ? 1 : 0);
    },
  });
  new Gauge({
    name: 'meridio_local_process_restarts',
    help: 'How often the supervisor restarted each process',
    labelNames: ['process'],
    registers: [registry],
    collect() {
      this.reset();
      for (const process of cluster.processes()) this.set({ process: process.spec.name }, process.restarts);
    },
  });
  new Gauge({
    name: 'meridio_local_targets',
    help: 'Targets of the instance by state: all, registered at the NSP, reachable from the external host',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const { targets } = cluster.status(process.pid);
      this.set({ state: 'all' }, targets.length);
      this.set({ state: 'registered' }, targets.filter((target) => target.registered).length);
      this.set({ state: 'reachable' }, targets.filter((target) => target.reachable).length);
    },
  });
}

export async function runSupervisor(paths: StatePaths, env: NodeJS.ProcessEnv): Promise<number> {
  const topology = readTopologyFile(paths.topologyFile);
  const logger = createLogger('local', topology.logLevel);
  writeFileSync(paths.pidFile, `${process.pid}\n`, { flag: 'wx' });
  const cluster = new LocalCluster({ paths, spec: topology.spec, logger, logLevel: topology.logLevel, env });
  let requestDown: () => void = () => undefined;
  const downRequested = new Promise<string>((resolve) => (requestDown = () => resolve('down')));
  const metrics = await startProcessMetrics({
    listen: paths.metrics('supervisor'),
    component: 'local',
    logger,
  });
  registerMetrics(cluster, metrics.registry);
  const control = await serveControl(paths.controlSocket, {
    status: () => cluster.status(process.pid),
    scale: (targets) => cluster.requestScale(targets),
    down: () => requestDown(),
  });
  logger.info({ stateDir: paths.dir, spec: topology.spec }, 'supervisor started');
  void cluster.start();
  const reason = await Promise.race([waitForTermination(), downRequested]);
  logger.info({ reason }, 'taking the instance down');
  let exitCode = 0;
  try {
    await cluster.down();
  } catch (error) {
    logger.error({ error: messageOf(error) }, 'taking the instance down failed');
    exitCode = 1;
  }
  await control.close();
  await metrics.close();
  rmSync(paths.pidFile, { force: true });
  logger.info('supervisor stopped');
  return exitCode;
}

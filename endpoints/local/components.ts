/**
 * The command line of every process of an instance, as the Helm chart's pod specs give them: the same
 * `meridio <component>` with its settings, only with unix sockets in the state directory instead of
 * Kubernetes services. Metrics go through the environment (`NSM_METRICS`), like every other setting of
 * Meridio's images.
 */
import { fileURLToPath } from 'node:url';

import { DEFAULTS } from '../../sdk/defaults.js';
import { ctrafficName, type LbPlan, type ProxyPlan, type TargetPlan } from './plan.js';
import { INSTANCE_ENV } from './resources.js';
import type { StatePaths } from './state-paths.js';
import type { ProcessSpec } from './supervised-process.js';

/** dist/bin/meridio.js, next to this module's compiled form (dist/endpoints/local/). */
export const MERIDIO_BIN = fileURLToPath(new URL('../../bin/meridio.js', import.meta.url));

/**
 * The NSP keepalive of the instance: a target whose proxy vanished without unregistering it is dropped
 * after this; proxies register again every third of it.
 */
export const LOCAL_NSP_KEEPALIVE = '15s';

export class ComponentSpecs {
  constructor(
    private readonly paths: StatePaths,
    private readonly logLevel: string,
    private readonly baseEnv: Readonly<Record<string, string | undefined>>,
  ) {}

  private spec(
    name: string,
    namespace: string | undefined,
    args: readonly string[],
    readyLine?: string,
  ): ProcessSpec {
    const env: Record<string, string> = {};
    for (const key of ['PATH', 'HOME', 'LANG', 'TZ', 'NODE_OPTIONS']) {
      const value = this.baseEnv[key];
      if (value !== undefined) env[key] = value;
    }
    env[INSTANCE_ENV] = this.paths.dir;
    env.NSM_METRICS = this.paths.metrics(name);
    env.NSM_LOG_LEVEL = this.logLevel;
    return {
      name,
      ...(namespace === undefined ? {} : { namespace }),
      command: process.execPath,
      args: [MERIDIO_BIN, ...args],
      env,
      logFile: this.paths.log(name),
      ...(readyLine === undefined ? {} : { readyLine }),
    };
  }

  nsm(): ProcessSpec {
    return this.spec(
      'nsm',
      undefined,
      ['nsm', '--socket', this.paths.service('nsm').slice('unix://'.length)],
      'NSM serving',
    );
  }

  nsp(): ProcessSpec {
    return this.spec(
      'nsp',
      undefined,
      [
        'nsp',
        '--listen',
        this.paths.service('nsp'),
        '--db',
        this.paths.database('nsp'),
        '--keepalive',
        LOCAL_NSP_KEEPALIVE,
      ],
      'NSP serving',
    );
  }

  ipam(): ProcessSpec {
    return this.spec(
      'ipam',
      undefined,
      ['ipam', '--listen', this.paths.service('ipam'), '--db', this.paths.database('ipam')],
      'IPAM serving',
    );
  }

  lb(lb: LbPlan): ProcessSpec {
    return this.spec(
      lb.name,
      lb.namespace,
      [
        'lb',
        '--name',
        lb.name,
        '--connect-to',
        this.paths.service('nsm'),
        '--listen',
        this.paths.service(lb.name),
        '--nsp-service',
        this.paths.service('nsp'),
        '--config-file',
        this.paths.configFile,
      ],
      'load balancer started',
    );
  }

  proxy(proxy: ProxyPlan): ProcessSpec {
    return this.spec(
      proxy.name,
      proxy.namespace,
      [
        'proxy',
        '--name',
        proxy.name,
        '--host',
        proxy.node,
        '--connect-to',
        this.paths.service('nsm'),
        '--listen',
        this.paths.service(proxy.name),
        '--ipam-service',
        this.paths.service('ipam'),
        '--nsp-service',
        this.paths.service('nsp'),
        '--nsp-keepalive',
        LOCAL_NSP_KEEPALIVE,
        '--config-file',
        this.paths.configFile,
      ],
      'proxy started',
    );
  }

  target(target: TargetPlan): ProcessSpec {
    return this.spec(
      target.name,
      target.namespace,
      [
        'target',
        '--name',
        target.name,
        '--host',
        target.node,
        '--connect-to',
        this.paths.service('nsm'),
        '--config-file',
        this.paths.configFile,
      ],
      'connected to the proxy',
    );
  }

  /** The target's application: a ctraffic server answering with the target's name. */
  ctraffic(target: TargetPlan): ProcessSpec {
    return this.spec(
      ctrafficName(target.name),
      target.namespace,
      ['ctraffic', '--server', '--address', `[::]:${DEFAULTS.ctrafficPort}`, '--hostname', target.name],
      'ctraffic server listening',
    );
  }
}

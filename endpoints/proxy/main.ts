/** `meridio proxy`: reads the settings, runs the proxy until SIGTERM or SIGINT, then stops it cleanly. */
import { messageOf } from '../../sdk/core/errors.js';
import { runProcess } from '../../sdk/process/index.js';
import { SettingsError } from '../../sdk/settings/index.js';
import { endpointNameOf, listenAddressOf, type ProxySettings, subnetRequests } from './config.js';
import { PROXY_SETTINGS, PROXY_SUMMARY } from './settings.js';

/** The values derived from the settings; a bad one is a settings error (exit 2). */
function derive(settings: ProxySettings): {
  name: string;
  listen: string;
  subnets: ReturnType<typeof subnetRequests>;
} {
  try {
    const name = endpointNameOf(settings);
    return {
      name,
      listen: listenAddressOf(settings, name),
      subnets: subnetRequests(settings.subnetPools, settings.subnetPrefixLengths),
    };
  } catch (error) {
    if (error instanceof SettingsError) throw error;
    throw new SettingsError(`meridio proxy: ${messageOf(error)}`);
  }
}

export function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  return runProcess(
    {
      component: 'proxy',
      settings: PROXY_SETTINGS,
      help: { usage: 'meridio proxy [settings]', summary: PROXY_SUMMARY },
      async start({ settings, nameLogger, onStop }) {
        const { name, listen, subnets } = derive(settings);
        const logger = nameLogger({ proxy: name });
        const [{ vipConfigSource }, { startProxy }] = await Promise.all([
          import('../../sdk/middleware/vip-route/index.js'),
          import('./proxy.js'),
        ]);
        // The settings name the file, or the ConfigMap and its namespace.
        const vipSource = vipConfigSource({ ...settings, logger, env });
        if (vipSource !== undefined) onStop('VIP configuration', () => vipSource.close());
        const proxy = await startProxy({
          name,
          node: settings.host,
          nsm: settings.connectTo,
          ipam: settings.ipamService,
          nsp: settings.nspService,
          listen,
          ...(settings.netns === '' ? {} : { netns: settings.netns }),
          subnets,
          serviceName: settings.serviceName,
          loadBalancerService: settings.networkServiceName,
          ...(vipSource === undefined ? {} : { vipSource }),
          vips: settings.vips,
          maxTargets: settings.maxTargets,
          nspKeepaliveMs: settings.nspKeepalive,
          requestTimeoutMs: settings.requestTimeout,
          tokenLifetimeMs: settings.maxTokenLifetime,
          vipTable: settings.vipTable,
          logger,
        });
        onStop('proxy', () => proxy.stop());
      },
    },
    argv,
    env,
  );
}

/** `meridio proxy`: reads the settings, runs the proxy until SIGTERM or SIGINT, then stops it cleanly. */
import type { ConfigSource } from '../../sdk/config/index.js';
import { messageOf } from '../../sdk/core/index.js';
import { createLogger } from '../../sdk/log/index.js';
import { vipConfigSource } from '../../sdk/middleware/vip-route/index.js';
import { loadSettings, SettingsError, waitForTermination } from '../../sdk/settings/index.js';
import { endpointNameOf, listenAddressOf, subnetRequests } from './config.js';
import { type RunningProxy, startProxy } from './proxy.js';
import { PROXY_SETTINGS, PROXY_SUMMARY } from './settings.js';

export async function run(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const loaded = loadSettings(PROXY_SETTINGS, argv, env, {
    usage: 'meridio proxy [settings]',
    summary: PROXY_SUMMARY,
  });
  if (!loaded.ok) return loaded.exitCode;
  const settings = loaded.values;
  let name: string;
  let listen: string;
  let subnets: ReturnType<typeof subnetRequests>;
  try {
    name = endpointNameOf(settings);
    listen = listenAddressOf(settings, name);
    subnets = subnetRequests(settings.subnetPools, settings.subnetPrefixLengths);
  } catch (error) {
    process.stderr.write(`${error instanceof SettingsError ? '' : 'meridio proxy: '}${messageOf(error)}\n`);
    return 2;
  }
  const logger = createLogger('proxy', settings.logLevel).child({ proxy: name });
  let proxy: RunningProxy;
  let vipSource: ConfigSource | undefined;
  try {
    vipSource = vipConfigSource({
      configFile: settings.configFile,
      configMapName: settings.configMapName,
      namespace: settings.namespace,
      logger,
      env,
    });
    proxy = await startProxy({
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
  } catch (error) {
    await vipSource?.close();
    logger.fatal({ error: messageOf(error) }, 'cannot start');
    process.stderr.write(`meridio proxy: ${messageOf(error)}\n`);
    return 1;
  }
  const signal = await waitForTermination();
  logger.info({ signal }, 'stopping');
  await proxy.stop();
  await vipSource?.close();
  logger.info('stopped');
  return 0;
}

import { hostname } from 'node:os';

import { DEFAULTS } from '../../sdk/defaults.js';
import { meridioSetting, setting } from '../../sdk/settings/index.js';

export const TARGET_SETTINGS = {
  name: setting.string({
    description: "the target's name (unique per target): its connection is <name>-<proxy service>",
    default: hostname(),
  }),
  proxyNetworkServiceName: setting.string({
    description: 'the network service of the proxies',
    default: DEFAULTS.proxyServiceName,
  }),
  connectTo: meridioSetting.connectTo('NetworkService and MonitorConnection'),
  host: meridioSetting.host("the nodeName label that selects the node's proxy"),
  netns: meridioSetting.netns('the target'),
  vips: meridioSetting.vips(),
  configFile: meridioSetting.configFile(),
  configMapName: meridioSetting.configMapName(),
  namespace: meridioSetting.namespace(),
  maxTargets: meridioSetting.maxTargets('the target picks its identifier among them'),
  requestTimeout: meridioSetting.requestTimeout(),
  maxTokenLifetime: meridioSetting.maxTokenLifetime('the target'),
  vipTable: meridioSetting.vipTable(DEFAULTS.vipTable),
  logLevel: meridioSetting.logLevel(),
};

export const TARGET_SUMMARY =
  'A target: connects to the proxy of its node with an identifier the NSP accepts, puts the VIPs on lo and routes VIP-sourced traffic back through the proxy; follows VIP changes and heals when its proxy restarts. Needs NET_ADMIN in its namespace.';

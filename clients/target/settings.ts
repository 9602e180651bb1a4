import { hostname } from 'node:os';

import { parseCidr } from '../../sdk/config/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { DEFAULT_VIP_TABLE } from '../../sdk/middleware/vip-route/index.js';
import { type Setting, setting } from '../../sdk/settings/index.js';

/** A VIP: a CIDR without host bits, in canonical form. */
const vip: Setting<string> = Object.freeze({
  description: 'a VIP',
  defaultValue: undefined,
  placeholder: '<cidr>',
  isSwitch: false,
  parse: (text: string): string => {
    try {
      return parseCidr(text.trim()).cidr;
    } catch {
      throw new Error('a CIDR without host bits, such as 20.0.0.1/32 or 2000::1/128');
    }
  },
  format: String,
});

export const TARGET_SETTINGS = {
  name: setting.string({
    description: "the target's name (unique per target): its connection is <name>-<proxy service>",
    default: hostname(),
  }),
  proxyNetworkServiceName: setting.string({
    description: 'the network service of the proxies',
    default: DEFAULTS.proxyServiceName,
  }),
  connectTo: setting.serviceAddress({
    description: 'the NSM (NetworkService and MonitorConnection)',
    default: 'unix:///var/lib/networkservicemesh/nsm.io.sock',
  }),
  host: setting.string({
    description: "the node's name: the nodeName label that selects the node's proxy",
    default: hostname(),
  }),
  netns: setting.string({
    placeholder: 'name',
    description:
      'the named network namespace (/run/netns/<name>) the target works in; empty: the namespace it runs in',
    default: '',
    allowEmpty: true,
  }),
  vips: setting.list({
    item: vip,
    description: 'the VIPs until a configuration source gives them',
    default: [],
  }),
  configFile: setting.string({
    placeholder: 'path',
    description: 'a local configuration file (meridio.conf format, watched); empty: the ConfigMap in a pod',
    default: '',
    allowEmpty: true,
  }),
  configMapName: setting.string({
    description: 'the ConfigMap with the VIPs, watched when running in a pod',
    default: DEFAULTS.configMapName,
  }),
  namespace: setting.string({
    description: "the ConfigMap's namespace; empty: the pod's",
    default: '',
    allowEmpty: true,
  }),
  maxTargets: setting.integer({
    description: 'identifiers are picked from 1 to this number',
    default: DEFAULTS.maxTargets,
    min: 1,
  }),
  requestTimeout: setting.duration({
    description: 'the time one Request toward the NSM may take',
    default: 15_000,
    minMs: 100,
  }),
  maxTokenLifetime: setting.duration({
    description: "the lifetime of the target's tokens: its connection is refreshed at a third of it",
    default: 600_000,
    minMs: 1000,
  }),
  vipTable: setting.integer({
    description: 'the routing table VIP-sourced traffic is routed by',
    default: DEFAULT_VIP_TABLE,
    min: 1,
    max: 0xfffffffe,
  }),
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

export const TARGET_SUMMARY =
  'A target: connects to the proxy of its node with an identifier the NSP accepts, puts the VIPs on lo and routes VIP-sourced traffic back through the proxy; follows VIP changes and heals when its proxy restarts. Needs NET_ADMIN in its namespace.';

import { hostname } from 'node:os';

import { parseCidr } from '../../sdk/config/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { DEFAULT_VIP_TABLE } from '../../sdk/middleware/vip-route/index.js';
import { type Setting, setting } from '../../sdk/settings/index.js';

/** A CIDR without host bits, in canonical form. */
const cidr: Setting<string> = Object.freeze({
  description: 'a CIDR',
  defaultValue: undefined,
  placeholder: '<cidr>',
  isSwitch: false,
  parse: (text: string): string => {
    try {
      return parseCidr(text.trim()).cidr;
    } catch {
      throw new Error('a CIDR without host bits, such as 172.16.0.0/16, fd00::/48 or 20.0.0.1/32');
    }
  },
  format: String,
});

const cidrList = (description: string, defaults: readonly string[]): Setting<readonly string[]> =>
  setting.list({ item: cidr, description, default: defaults });

export const PROXY_SETTINGS = {
  name: setting.string({
    description:
      "the proxy's endpoint name in the NSM registry (unique per proxy; empty: proxy-<host>); also its connections' names",
    default: '',
    allowEmpty: true,
  }),
  serviceName: setting.string({
    description: 'the network service the proxy serves to the targets of its node',
    default: DEFAULTS.proxyServiceName,
  }),
  networkServiceName: setting.string({
    description: 'the network service of the load balancers the proxy connects to (every endpoint of it)',
    default: DEFAULTS.loadBalancerServiceName,
  }),
  connectTo: setting.serviceAddress({
    description: 'the NSM (NetworkService, MonitorConnection and registry)',
    default: 'unix:///var/lib/networkservicemesh/nsm.io.sock',
  }),
  host: setting.string({
    description: "the node's name: the nodeName label targets select, the IPAM owner, the bridge's MAC",
    default: hostname(),
  }),
  listen: setting.string({
    placeholder: 'address',
    description:
      "where the proxy's endpoint serves, as registered in NSM (empty: unix:///var/lib/meridio/<name>.sock)",
    default: '',
    allowEmpty: true,
  }),
  netns: setting.string({
    placeholder: 'name',
    description:
      'the named network namespace (/run/netns/<name>) the proxy works in; empty: the namespace it runs in',
    default: '',
    allowEmpty: true,
  }),
  ipamService: setting.serviceAddress({
    description: 'the IPAM service the proxy gets its subnets from',
    default: `ipam-service:${DEFAULTS.ipamPort}`,
  }),
  nspService: setting.serviceAddress({
    description: 'the NSP service the proxy registers its targets at',
    default: `nsp-service:${DEFAULTS.nspPort}`,
  }),
  subnetPools: cidrList('the pools the subnets come from, one per family', DEFAULTS.subnetPools),
  subnetPrefixLengths: setting.list({
    item: setting.integer({ description: 'a prefix length', min: 1, max: 128 }),
    description: "the subnets' prefix lengths, one per pool",
    default: DEFAULTS.subnetPrefixLengths,
  }),
  vips: cidrList('the VIPs until a configuration source gives them', []),
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
    description: 'the largest identifier a target may register with',
    default: DEFAULTS.maxTargets,
    min: 1,
  }),
  nspKeepalive: setting.duration({
    description: "the NSP's keepalive: targets are registered again every third of it",
    default: DEFAULTS.nspKeepaliveMs,
    minMs: 300,
  }),
  requestTimeout: setting.duration({
    description: 'the time one Request toward the NSM may take',
    default: 15_000,
    minMs: 100,
  }),
  maxTokenLifetime: setting.duration({
    description: "the lifetime of the proxy's tokens: its connections are refreshed at a third of it",
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

export const PROXY_SUMMARY =
  "The proxy of one node: gets a subnet per family from IPAM, bridges every NSM connection of the node on bridge0 (the subnet's first address), serves the proxy network service to the node's targets (registering them at the NSP), keeps one connection to every load balancer, and routes VIP-sourced traffic over all of them. Needs NET_ADMIN in its namespace.";

import { DEFAULTS } from '../../sdk/defaults.js';
import { meridioSetting, setting } from '../../sdk/settings/index.js';

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
  connectTo: meridioSetting.connectTo('NetworkService, MonitorConnection and registry'),
  host: meridioSetting.host("the nodeName label targets select, the IPAM owner, the bridge's MAC"),
  listen: meridioSetting.listen('the proxy'),
  netns: meridioSetting.netns('the proxy'),
  ipamService: setting.serviceAddress({
    description: 'the IPAM service the proxy gets its subnets from',
    default: `ipam-service:${DEFAULTS.ipamPort}`,
  }),
  nspService: meridioSetting.nspService('the proxy registers its targets at'),
  subnetPools: setting.list({
    item: meridioSetting.cidr('172.16.0.0/16, fd00::/48 or 20.0.0.1/32'),
    description: 'the pools the subnets come from, one per family',
    default: DEFAULTS.subnetPools,
  }),
  subnetPrefixLengths: setting.list({
    item: setting.integer({ description: 'a prefix length', min: 1, max: 128 }),
    description: "the subnets' prefix lengths, one per pool",
    default: DEFAULTS.subnetPrefixLengths,
  }),
  vips: meridioSetting.vips(),
  configFile: meridioSetting.configFile(),
  configMapName: meridioSetting.configMapName(),
  namespace: meridioSetting.namespace(),
  maxTargets: meridioSetting.maxTargets('the proxy refuses a target with a larger one'),
  nspKeepalive: setting.duration({
    description: "the NSP's keepalive: targets are registered again every third of it",
    default: DEFAULTS.nspKeepaliveMs,
    minMs: 300,
  }),
  requestTimeout: meridioSetting.requestTimeout(),
  maxTokenLifetime: meridioSetting.maxTokenLifetime('the proxy'),
  vipTable: meridioSetting.vipTable(DEFAULTS.vipTable),
  logLevel: meridioSetting.logLevel(),
};

export const PROXY_SUMMARY =
  "The proxy of one node: gets a subnet per family from IPAM, bridges every NSM connection of the node on bridge0 (the subnet's first address), serves the proxy network service to the node's targets (registering them at the NSP), keeps one connection to every load balancer, and routes VIP-sourced traffic over all of them. Needs NET_ADMIN in its namespace.";

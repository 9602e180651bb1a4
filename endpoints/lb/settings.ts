import { DEFAULTS } from '../../sdk/defaults.js';
import { MAX_MAGLEV_TABLE_SIZE, MAX_MAGLEV_TARGETS } from '../../sdk/maglev/index.js';
// The setting alone, not the folder's index: reading settings must not load prom-client.
import { metricsSetting } from '../../sdk/metrics/setting.js';
import { meridioSetting, type Setting, setting } from '../../sdk/settings/index.js';
import { MAX_FWMARK } from './fwmark.js';

/** `key=value`: one label of the endpoint's registration. */
const label: Setting<readonly [string, string]> = Object.freeze({
  description: 'a label',
  defaultValue: undefined,
  placeholder: '<key=value>',
  isSwitch: false,
  parse: (text: string): readonly [string, string] => {
    const equals = text.indexOf('=');
    const key = equals < 0 ? '' : text.slice(0, equals).trim();
    if (key === '') throw new Error('key=value pairs with a non-empty key');
    return Object.freeze([key, text.slice(equals + 1).trim()] as const);
  },
  format: ([key, value]: readonly [string, string]) => `${key}=${value}`,
});

export const LB_SETTINGS = {
  name: setting.string({
    description:
      "the load balancer's endpoint name in the NSM registry, unique per LB (empty: <service-name>-<host name>)",
    default: '',
    allowEmpty: true,
  }),
  serviceName: setting.string({
    description: 'the network service the LB serves to the proxies',
    default: DEFAULTS.loadBalancerServiceName,
  }),
  labels: setting.list({
    item: label,
    description: "labels of the LB's endpoint registration for its network service",
    default: [],
  }),
  connectTo: meridioSetting.connectTo('registry: the LB registers its endpoint in it'),
  listen: meridioSetting.listen('the LB'),
  netns: meridioSetting.netns('the LB'),
  nspService: meridioSetting.nspService('whose targets the LB balances over'),
  vips: meridioSetting.vips(),
  configFile: meridioSetting.configFile(),
  configMapName: meridioSetting.configMapName(),
  namespace: meridioSetting.namespace(),
  maxTargets: meridioSetting.maxTargets('the same on every LB of the trench', MAX_MAGLEV_TARGETS),
  maglevSize: setting.integer({
    description:
      'M: the Maglev table size, a prime ≥ N, the same on every LB of the trench (0: the largest prime ≤ 100·N)',
    default: 0,
    min: 0,
    max: MAX_MAGLEV_TABLE_SIZE,
  }),
  maglevSeed: setting.integer({
    description: 'the seed of the Maglev permutations and the flow hash; the same on every LB of the trench',
    default: DEFAULTS.maglevSeed,
    min: 0,
    max: 0xffffffff,
  }),
  fwmarkOffset: setting.integer({
    description:
      "target i's packets get fwmark offset+i and are routed by table offset+i; the tables must avoid 253-255",
    default: DEFAULTS.fwmarkOffset,
    min: 0,
    max: MAX_FWMARK,
  }),
  queue: setting.integer({
    description: 'the NFQUEUE number the VIP rules send to',
    default: 0,
    min: 0,
    max: 0xffff,
  }),
  queueBypass: setting.boolean({
    description:
      'while no LB serves the queue (a restart), VIP packets pass it unmarked (then a pinned flow keeps its target and others meet the blackhole) instead of being dropped by the queue',
    default: true,
  }),
  pinning: setting.boolean({
    description:
      "keep each flow's target in conntrack so established flows stay put when targets come and go; false: hash every packet (stateless)",
    default: true,
  }),
  metrics: metricsSetting(),
  logLevel: meridioSetting.logLevel(),
};

export const LB_SUMMARY =
  'The load balancer: an NSM endpoint for the proxies (network service load-balancer) that watches the NSP for targets, routes each by fwmark to its own table, and spreads the VIP flows over them with a Maglev table read by a native NFQUEUE thread (no JavaScript per packet), keeping established flows on their target through conntrack. VIPs come from the settings, then from the configuration file or ConfigMap, applied without a restart. Needs NET_ADMIN in its namespace.';

import { parseCidr } from '../../sdk/config/index.js';
import { DEFAULTS } from '../../sdk/defaults.js';
import { MAX_MAGLEV_TABLE_SIZE, MAX_MAGLEV_TARGETS } from '../../sdk/maglev/index.js';
import { metricsSetting } from '../../sdk/metrics/index.js';
import { type Setting, setting } from '../../sdk/settings/index.js';
import { MAX_FWMARK } from './fwmark.js';

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
      throw new Error('a CIDR without host bits, such as 20.0.0.1/32 or 2000::1/128');
    }
  },
  format: String,
});

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
  connectTo: setting.serviceAddress({
    description: 'the NSM whose registry the LB registers its endpoint in',
    default: 'unix:///var/lib/networkservicemesh/nsm.io.sock',
  }),
  listen: setting.string({
    placeholder: 'address',
    description:
      "where the LB's endpoint serves, as registered in NSM (empty: unix:///var/lib/meridio/<name>.sock)",
    default: '',
    allowEmpty: true,
  }),
  netns: setting.string({
    placeholder: 'name',
    description:
      'the named network namespace (/run/netns/<name>) the LB works in; empty: the namespace it runs in',
    default: '',
    allowEmpty: true,
  }),
  nspService: setting.serviceAddress({
    description: 'the NSP service whose targets the LB balances over',
    default: `nsp-service:${DEFAULTS.nspPort}`,
  }),
  vips: setting.list({
    item: cidr,
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
    description: 'N: target identifiers are 1..N; the same on every LB of the trench',
    default: DEFAULTS.maxTargets,
    min: 1,
    max: MAX_MAGLEV_TARGETS,
  }),
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
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

export const LB_SUMMARY =
  'The load balancer: an NSM endpoint for the proxies (network service load-balancer) that watches the NSP for targets, routes each by fwmark to its own table, and spreads the VIP flows over them with a Maglev table read by a native NFQUEUE thread (no JavaScript per packet), keeping established flows on their target through conntrack. VIPs come from the settings, then from the configuration file or ConfigMap, applied without a restart. Needs NET_ADMIN in its namespace.';

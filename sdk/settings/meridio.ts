/**
 * The settings several Meridio processes share (`NSM_CONNECT_TO`, `NSM_NETNS`, `NSM_VIPS`, the
 * configuration source, …), defined once so that every process reads them with the same default and
 * the same validation; a process passes only what differs for it, such as who the help text talks
 * about. The setting's name (hence its flag and environment variable) stays the key in the process's
 * spec.
 */
import { hostname } from 'node:os';

import type { LevelWithSilent } from 'pino';

// The CIDR parser alone, not sdk/config's index (sources, YAML, watchers): settings are read before
// anything else, often only to print help (see test/unit/startup).
import { parseCidr } from '../config/cidr.js';
import { DEFAULTS } from '../defaults.js';
import { setting, type Setting } from './setting.js';

/** The NSM manager's socket inside a pod, where NSM's device plugin mounts it. */
const NSM_SOCKET = 'unix:///var/lib/networkservicemesh/nsm.io.sock';

/** The examples a VIP error names. */
const VIP_EXAMPLES = '20.0.0.1/32 or 2000::1/128';

export const meridioSetting = {
  /** A CIDR without host bits, in canonical form; `examples` completes "such as …" in its error. */
  cidr(examples: string): Setting<string> {
    return Object.freeze({
      description: 'a CIDR',
      defaultValue: undefined,
      placeholder: '<cidr>',
      isSwitch: false,
      parse: (text: string): string => {
        try {
          return parseCidr(text.trim()).cidr;
        } catch {
          throw new Error(`a CIDR without host bits, such as ${examples}`);
        }
      },
      format: String,
    });
  },

  /** `NSM_CONNECT_TO`: `apis` names what the process uses of the NSM. */
  connectTo(apis: string): Setting<string> {
    return setting.serviceAddress({ description: `the NSM (${apis})`, default: NSM_SOCKET });
  },

  /** `NSM_HOST`: `role` says what the process uses the node's name for. */
  host(role: string): Setting<string> {
    return setting.string({ description: `the node's name: ${role}`, default: hostname() });
  },

  /** `NSM_LISTEN`: where the endpoint of `subject` (`the LB`) serves. */
  listen(subject: string): Setting<string> {
    return setting.string({
      placeholder: 'address',
      description: `where ${subject}'s endpoint serves, as registered in NSM (empty: unix:///var/lib/meridio/<name>.sock)`,
      default: '',
      allowEmpty: true,
    });
  },

  /** `NSM_NETNS`: the namespace `subject` (`the proxy`) works in. */
  netns(subject: string): Setting<string> {
    return setting.string({
      placeholder: 'name',
      description: `the named network namespace (/run/netns/<name>) ${subject} works in; empty: the namespace it runs in`,
      default: '',
      allowEmpty: true,
    });
  },

  /** `NSM_NSP_SERVICE`: `use` says what the process does with the NSP. */
  nspService(use: string): Setting<string> {
    return setting.serviceAddress({
      description: `the NSP service ${use}`,
      default: `nsp-service:${DEFAULTS.nspPort}`,
    });
  },

  /** `NSM_VIPS`: the VIPs a process starts with. */
  vips(): Setting<readonly string[]> {
    return setting.list({
      item: meridioSetting.cidr(VIP_EXAMPLES),
      description: 'the VIPs until a configuration source gives them',
      default: [],
    });
  },

  /** `NSM_CONFIG_FILE`: a local file instead of the ConfigMap. */
  configFile(): Setting<string> {
    return setting.string({
      placeholder: 'path',
      description: 'a local configuration file (meridio.conf format, watched); empty: the ConfigMap in a pod',
      default: '',
      allowEmpty: true,
    });
  },

  /** `NSM_CONFIG_MAP_NAME`. */
  configMapName(): Setting<string> {
    return setting.string({
      description: 'the ConfigMap with the VIPs, watched when running in a pod',
      default: DEFAULTS.configMapName,
    });
  },

  /** `NSM_NAMESPACE`: the ConfigMap's namespace. */
  namespace(): Setting<string> {
    return setting.string({
      description: "the ConfigMap's namespace; empty: the pod's",
      default: '',
      allowEmpty: true,
    });
  },

  /**
   * `NSM_MAX_TARGETS`: N, target identifiers are 1..N; `role` says what the process does with N, `max`
   * bounds it where a table depends on it.
   */
  maxTargets(role: string, max?: number): Setting<number> {
    return setting.integer({
      description: `N: target identifiers are 1..N; ${role}`,
      default: DEFAULTS.maxTargets,
      min: 1,
      ...(max === undefined ? {} : { max }),
    });
  },

  /** `NSM_REQUEST_TIMEOUT`. */
  requestTimeout(): Setting<number> {
    return setting.duration({
      description: 'the time one Request toward the NSM may take',
      default: 15_000,
      minMs: 100,
    });
  },

  /** `NSM_MAX_TOKEN_LIFETIME`: the lifetime of the tokens of `subject` (`the proxy`). */
  maxTokenLifetime(subject: string): Setting<number> {
    return setting.duration({
      description: `the lifetime of ${subject}'s tokens: connections are refreshed at a third of it`,
      default: 600_000,
      minMs: 1000,
    });
  },

  /**
   * `NSM_VIP_TABLE`: the caller passes the default (the VIP routing's own), so that settings do not
   * depend on the routing middleware.
   */
  vipTable(defaultTable: number): Setting<number> {
    return setting.integer({
      description: 'the routing table VIP-sourced traffic is routed by',
      default: defaultTable,
      min: 1,
      max: 0xfffffffe,
    });
  },

  /** `NSM_LOG_LEVEL`. */
  logLevel(): Setting<LevelWithSilent> {
    return setting.logLevel({ description: 'the least severe level that is logged', default: 'info' });
  },
};

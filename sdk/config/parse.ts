import { isMap, isSeq, parseDocument } from 'yaml';

import { parseCidr } from './cidr.js';
import { InvalidCidrError, InvalidConfigError } from './errors.js';
import type { MeridioConfig, Vip } from './model.js';

const DOCUMENT = 'meridio.conf';
const KNOWN_KEYS: readonly string[] = ['vips'];

/**
 * Parses the `meridio.conf` value (a ConfigMap data key, or the local configuration file):
 * YAML `vips: [20.0.0.1/32, 2000::1/128]`. Strict, like Go's `yaml.UnmarshalStrict` that upstream
 * used, and stricter where a lenient reading would silently remove VIPs: an empty document or a
 * missing `vips` key is rejected instead of meaning "no VIPs" (write `vips: []` for that).
 * Throws InvalidConfigError with one sentence naming the problem.
 */
export function parseMeridioConf(text: string): MeridioConfig {
  const document = parseDocument(text, { uniqueKeys: true });
  const yamlError = document.errors[0];
  if (yamlError) {
    throw new InvalidConfigError(`${DOCUMENT} is not valid YAML: ${firstLine(yamlError.message)}`, {
      cause: yamlError,
    });
  }
  if (document.contents === null) {
    throw new InvalidConfigError(`${DOCUMENT} is empty; write "vips: []" to configure no VIPs`);
  }
  if (!isMap(document.contents)) {
    throw new InvalidConfigError(
      `${DOCUMENT} must be a YAML mapping with the key "vips", not ${describe(document.toJS())}`,
    );
  }
  const root = document.toJS() as Record<string, unknown>;
  const unknown = Object.keys(root).filter((key) => !KNOWN_KEYS.includes(key));
  if (unknown.length > 0) {
    const keys = unknown.map((key) => `"${key}"`).join(', ');
    throw new InvalidConfigError(
      `${DOCUMENT} has ${unknown.length === 1 ? 'an unknown key' : 'unknown keys'} ${keys}; the only key is "vips"`,
    );
  }
  if (!('vips' in root)) {
    throw new InvalidConfigError(`${DOCUMENT} has no "vips" key; write "vips: []" to configure no VIPs`);
  }
  if (!isSeq(document.get('vips', true))) {
    throw new InvalidConfigError(`"vips" in ${DOCUMENT} must be a list of CIDRs, not ${describe(root.vips)}`);
  }
  return { vips: validateVips(root.vips as unknown[]) };
}

/**
 * Validates a list of VIP CIDRs (also what the operator's webhook checks): each a network CIDR
 * without host bits, none listed twice, also not when written differently.
 */
export function validateVips(values: readonly unknown[], listName = 'vips'): Vip[] {
  const seen = new Map<string, { index: number; text: string }>();
  return values.map((value, index) => {
    if (typeof value !== 'string') {
      throw new InvalidConfigError(
        `${listName}[${index}] is ${describe(value)}, not a CIDR such as 20.0.0.1/32`,
      );
    }
    let vip: Vip;
    try {
      vip = parseCidr(value);
    } catch (error) {
      if (!(error instanceof InvalidCidrError)) throw error;
      throw new InvalidConfigError(`${listName}[${index}] ${error.message}`, { cause: error });
    }
    const earlier = seen.get(vip.cidr);
    if (earlier) {
      throw new InvalidConfigError(
        `${listName}[${index}] "${value}" duplicates ${listName}[${earlier.index}] "${earlier.text}" (both are ${vip.cidr})`,
      );
    }
    seen.set(vip.cidr, { index, text: value });
    return vip;
  });
}

/** The `meridio.conf` text for a configuration, in the flow style of the 2021 Helm chart. */
export function formatMeridioConf(config: MeridioConfig): string {
  return `vips: [${config.vips.map((vip) => vip.cidr).join(', ')}]\n`;
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/:$/, '');
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string "${value}"`;
  return `the ${typeof value} ${String(value)}`;
}

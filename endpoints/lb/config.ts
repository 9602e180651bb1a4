import { hostname } from 'node:os';

// The modules themselves, not their folders' indexes: settings are read before gRPC loads.
import { messageOf } from '../../sdk/core/errors.js';
import { parseServiceAddress } from '../../sdk/grpc/address.js';
import { largestPrimeAtMost, resolveMaglevConfig, type MaglevConfig } from '../../sdk/maglev/index.js';
import { SettingsError, type SettingsValues } from '../../sdk/settings/index.js';
import { fwmarkRange, type FwmarkRange } from './fwmark.js';
import type { LB_SETTINGS } from './settings.js';

export type LbSettings = SettingsValues<typeof LB_SETTINGS>;

/** What the settings decide beyond single values, checked together. */
export interface LbDerived {
  readonly name: string;
  readonly listen: string;
  readonly maglev: MaglevConfig;
  readonly range: FwmarkRange;
  readonly labels: Readonly<Record<string, string>>;
}

/** Checks the settings that depend on each other; throws SettingsError with a sentence naming them. */
export function deriveLbSettings(settings: LbSettings, host: string = hostname()): LbDerived {
  const name = settings.name === '' ? `${settings.serviceName}-${host}` : settings.name;
  let maglev: MaglevConfig;
  try {
    maglev = resolveMaglevConfig({
      maxTargets: settings.maxTargets,
      tableSize:
        settings.maglevSize === 0
          ? (largestPrimeAtMost(100 * settings.maxTargets) ?? 2)
          : settings.maglevSize,
      seed: settings.maglevSeed,
    });
  } catch (error) {
    throw new SettingsError(
      `Settings maxTargets (NSM_MAX_TARGETS), maglevSize (NSM_MAGLEV_SIZE) and maglevSeed (NSM_MAGLEV_SEED) ` +
        `do not make a Maglev table: ${messageOf(error)}`,
    );
  }
  let range: FwmarkRange;
  try {
    range = fwmarkRange(settings.fwmarkOffset, settings.maxTargets);
  } catch (error) {
    throw new SettingsError(
      `Settings fwmarkOffset (NSM_FWMARK_OFFSET) and maxTargets (NSM_MAX_TARGETS) clash: ${messageOf(error)}`,
    );
  }
  const labels: Record<string, string> = {};
  for (const [key, value] of settings.labels) {
    if (key in labels) throw new SettingsError(`Setting labels (NSM_LABELS) gives the label "${key}" twice.`);
    labels[key] = value;
  }
  const listen = settings.listen === '' ? `unix:///var/lib/meridio/${name}.sock` : settings.listen;
  try {
    parseServiceAddress(listen);
  } catch {
    throw new SettingsError(
      `Setting listen (--listen / NSM_LISTEN) has an invalid value "${listen}": expected host:port, [ipv6]:port or unix:///absolute/path.`,
    );
  }
  return {
    name,
    listen,
    maglev,
    range,
    labels,
  };
}

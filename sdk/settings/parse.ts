/**
 * Reads a process's settings from its environment (`NSM_` + the name in upper snake case, as
 * Meridio's images) and its flags (the same name in kebab case); a flag wins over the environment,
 * the environment over the default.
 */
// The error module alone, not sdk/core's index (the whole chain framework): settings are read
// before anything else, often only to print help (see test/unit/startup).
import { InvalidArgumentError } from '../core/errors.js';
import type { Setting } from './setting.js';

export type SettingsSpec = Readonly<Record<string, Setting<unknown>>>;

export type SettingsValues<S extends SettingsSpec> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

/** A bad command line or environment; the message is one sentence naming the setting. */
export class SettingsError extends InvalidArgumentError {}

function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .split(/[\s_-]+/)
    .filter((word) => word !== '');
}

/** `nspService` → `NSM_NSP_SERVICE`. */
export function envName(name: string): string {
  return `NSM_${words(name)
    .map((word) => word.toUpperCase())
    .join('_')}`;
}

/** `nspService` → `--nsp-service`. */
export function flagName(name: string): string {
  return `--${words(name)
    .map((word) => word.toLowerCase())
    .join('-')}`;
}

function label(name: string): string {
  return `${name} (${flagName(name)} / ${envName(name)})`;
}

export type ParsedCommandLine =
  { readonly kind: 'help' } | { readonly kind: 'values'; readonly values: Readonly<Record<string, unknown>> };

function readFlags(spec: SettingsSpec, argv: readonly string[]): Map<string, string> | 'help' {
  const byFlag = new Map(Object.keys(spec).map((name) => [flagName(name), name] as const));
  const given = new Map<string, string>();
  if (argv.includes('--help') || argv.includes('-h')) return 'help';
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index] ?? '';
    if (!arg.startsWith('--')) {
      throw new SettingsError(
        `Unexpected argument "${arg}": settings are given as --name value or --name=value.`,
      );
    }
    const equals = arg.indexOf('=');
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    const name = byFlag.get(flag);
    const setting = name === undefined ? undefined : spec[name];
    if (name === undefined || setting === undefined) {
      throw new SettingsError(`Unknown flag ${flag}: run with --help to list the settings.`);
    }
    let value: string | undefined = equals < 0 ? undefined : arg.slice(equals + 1);
    if (value === undefined) {
      const next = argv[index + 1];
      if (setting.isSwitch && (next === undefined || next.startsWith('--'))) value = 'true';
      else if (next === undefined)
        throw new SettingsError(`Setting ${label(name)} needs a value after ${flag}.`);
      else {
        value = next;
        index++;
      }
    }
    given.set(name, value);
  }
  return given;
}

/**
 * The values of every setting, or `help` when asked for. Throws a SettingsError for an unknown flag,
 * a bad value or a missing required setting. An empty environment variable counts as unset, as
 * Kubernetes manifests often template empty values.
 */
export function parseSettings(
  spec: SettingsSpec,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ParsedCommandLine {
  const flags = readFlags(spec, argv);
  if (flags === 'help') return { kind: 'help' };
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(spec)) {
    const fromFlag = flags.get(name);
    const fromEnv = env[envName(name)];
    const text = fromFlag ?? (fromEnv === '' ? undefined : fromEnv);
    if (text === undefined) {
      if (setting.defaultValue === undefined) {
        throw new SettingsError(`Setting ${label(name)} is required: ${setting.description}.`);
      }
      values[name] = setting.defaultValue;
      continue;
    }
    try {
      values[name] = setting.parse(text);
    } catch (error) {
      const source = fromFlag === undefined ? envName(name) : flagName(name);
      throw new SettingsError(
        `Setting ${label(name)} has an invalid value "${text}" (from ${source}): expected ${(error as Error).message}.`,
      );
    }
  }
  return { kind: 'values', values };
}

import { parseSettings, SettingsError, type SettingsSpec, type SettingsValues } from './parse.js';
import { settingsHelp, type HelpText } from './help.js';

/** Exit code for a bad command line or environment (as `getopt`-style tools). */
export const EXIT_BAD_SETTINGS = 2;

export interface Output {
  write(text: string): unknown;
}

export type LoadedSettings<S extends SettingsSpec> =
  | { readonly ok: true; readonly values: SettingsValues<S> }
  | { readonly ok: false; readonly exitCode: number };

/**
 * What a process's `run` does first: parse its settings, print `--help` (exit 0) or one sentence
 * naming the bad setting (exit 2), or hand back the typed values.
 */
export function loadSettings<S extends SettingsSpec>(
  spec: S,
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  text: HelpText,
  output: { readonly stdout: Output; readonly stderr: Output } = process,
): LoadedSettings<S> {
  try {
    const parsed = parseSettings(spec, argv, env);
    if (parsed.kind === 'help') {
      output.stdout.write(settingsHelp(spec, text));
      return { ok: false, exitCode: 0 };
    }
    return { ok: true, values: parsed.values as SettingsValues<S> };
  } catch (error) {
    if (!(error instanceof SettingsError)) throw error;
    output.stderr.write(`${error.message}\n`);
    return { ok: false, exitCode: EXIT_BAD_SETTINGS };
  }
}

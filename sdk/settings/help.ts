import { envName, flagName, type SettingsSpec } from './parse.js';

export interface HelpText {
  /** `meridio nsp [flags]` */
  readonly usage: string;
  /** One paragraph: what the process does. */
  readonly summary: string;
}

/** The `--help` text: every flag with its environment variable, description and default. */
export function settingsHelp(spec: SettingsSpec, text: HelpText): string {
  const rows = Object.entries(spec).map(([name, setting]) => {
    const flag = setting.placeholder === '' ? flagName(name) : `${flagName(name)} ${setting.placeholder}`;
    const fallback =
      setting.defaultValue === undefined ? 'required' : `default "${setting.format(setting.defaultValue)}"`;
    return { flag, env: envName(name), about: `${setting.description} (${fallback})` };
  });
  const flagWidth = Math.max(...rows.map((row) => row.flag.length));
  const envWidth = Math.max(...rows.map((row) => row.env.length));
  return [
    `Usage: ${text.usage}`,
    '',
    text.summary,
    '',
    'Settings (flag, environment variable; a flag wins over the environment):',
    ...rows.map((row) => `  ${row.flag.padEnd(flagWidth)}  ${row.env.padEnd(envWidth)}  ${row.about}`),
    '',
  ].join('\n');
}

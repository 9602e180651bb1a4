/**
 * Typed settings for every Meridio process: each has a name, an `NSM_` environment variable and the
 * same name as a `--kebab-case` flag, a validator, a default and a description.
 */
export { setting, parseDuration, formatDuration, type Setting } from './setting.js';
export {
  parseSettings,
  envName,
  flagName,
  SettingsError,
  type SettingsSpec,
  type SettingsValues,
  type ParsedCommandLine,
} from './parse.js';
export { settingsHelp, type HelpText } from './help.js';
export { loadSettings, EXIT_BAD_SETTINGS, type LoadedSettings, type Output } from './load.js';
export { waitForTermination } from './termination.js';
export { meridioSetting } from './meridio.js';

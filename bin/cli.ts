/** Picks the subcommand named by the first argument and runs it with the rest. */
import { EXIT_BAD_SETTINGS, type Output } from '../sdk/settings/index.js';
import type { Subcommand } from './commands.js';

export function usage(commands: readonly Subcommand[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  return [
    'Usage: meridio <command> [settings]',
    '',
    'Commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "meridio <command> --help" for the settings of a command (flags, or NSM_ environment variables).',
    '',
  ].join('\n');
}

export async function runCli(
  commands: readonly Subcommand[],
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  output: { readonly stdout: Output; readonly stderr: Output } = process,
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    output.stdout.write(usage(commands));
    return 0;
  }
  const command = commands.find((candidate) => candidate.name === name);
  if (!command) {
    const known = commands.map((candidate) => candidate.name).join(', ');
    output.stderr.write(
      name === undefined
        ? `Name a command (${known}); run "meridio --help" for the list.\n`
        : `Unknown command "${name}": the commands are ${known}.\n`,
    );
    return EXIT_BAD_SETTINGS;
  }
  const module = await command.load();
  return module.run(rest, env);
}

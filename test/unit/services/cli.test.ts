import { runCli, usage } from '../../../bin/cli.js';
import { SUBCOMMANDS, type Subcommand } from '../../../bin/commands.js';

function capture(): { text: string; write(text: string): void } {
  return {
    text: '',
    write(text: string) {
      this.text += text;
    },
  };
}

describe('meridio command', () => {
  const calls: { argv: readonly string[]; env: NodeJS.ProcessEnv }[] = [];
  const commands: Subcommand[] = [
    {
      name: 'echo',
      summary: 'records its arguments',
      load: async () => ({
        run: async (argv, env) => {
          calls.push({ argv, env });
          return 7;
        },
      }),
    },
    { name: 'longer-name', summary: 'another', load: async () => ({ run: async () => 0 }) },
  ];

  it('lists the real subcommands nsp and ipam', () => {
    expect(SUBCOMMANDS.map((command) => command.name)).toEqual(expect.arrayContaining(['nsp', 'ipam']));
    expect(usage(SUBCOMMANDS)).toMatch(/^ {2}nsp +NSP target registry/m);
    expect(usage(SUBCOMMANDS)).toMatch(/^ {2}ipam +IPAM subnet allocator/m);
  });

  it('runs the chosen subcommand with the remaining arguments and returns its exit code', async () => {
    const io = { stdout: capture(), stderr: capture() };
    expect(await runCli(commands, ['echo', '--a', 'b'], { NSM_X: '1' }, io)).toBe(7);
    expect(calls).toEqual([{ argv: ['--a', 'b'], env: { NSM_X: '1' } }]);
  });

  it('prints the list for --help and exits 0', async () => {
    const io = { stdout: capture(), stderr: capture() };
    expect(await runCli(commands, ['--help'], {}, io)).toBe(0);
    expect(io.stdout.text).toContain('  echo         records its arguments\n  longer-name  another\n');
  });

  it('refuses an unknown or missing command with exit code 2 and one sentence', async () => {
    const io = { stdout: capture(), stderr: capture() };
    expect(await runCli(commands, ['lb'], {}, io)).toBe(2);
    expect(await runCli(commands, [], {}, io)).toBe(2);
    expect(io.stderr.text).toBe(
      'Unknown command "lb": the commands are echo, longer-name.\nName a command (echo, longer-name); run "meridio --help" for the list.\n',
    );
  });
});

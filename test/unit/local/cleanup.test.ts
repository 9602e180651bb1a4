/**
 * `meridio local down` after the supervisor crashed: the processes that carry the instance's state
 * directory are killed (here one inside a namespace of the instance), the recorded namespaces deleted,
 * the instance's files removed — and a file that is not the instance's is left, with the directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { INSTANCE_ENV, instanceProcesses, run, StatePaths } from '../../../endpoints/local/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';

async function down(stateDir: string): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const io = { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: () => true } };
  const code = await run(['down', '--state-dir', stateDir], { PATH: process.env.PATH }, io);
  return { code, stdout };
}

skipUnlessRoot('the local cleanup tests')('meridio local down without a supervisor', () => {
  const sandbox = useNetnsSandbox('lcln');
  let parent: string;

  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'local-cleanup-'));
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  function leftovers(stateDir: string, namespaces: readonly string[]): StatePaths {
    const paths = new StatePaths(stateDir);
    for (const dir of [paths.dir, paths.logDir, paths.socketDir, paths.metricsDir])
      mkdirSync(dir, { recursive: true });
    writeFileSync(paths.resourcesFile, JSON.stringify({ namespaces }));
    writeFileSync(paths.pidFile, '999999\n');
    writeFileSync(paths.configFile, 'vips: [20.0.0.1/32]\n');
    writeFileSync(paths.log('lb-1'), '{}\n');
    writeFileSync(paths.database('nsp'), '');
    writeFileSync(`${paths.database('nsp')}-wal`, '');
    return paths;
  }

  test('kills the orphans, deletes the recorded namespaces, removes the state directory', async () => {
    const namespace = sandbox.create('lb').name;
    const stateDir = join(parent, 'state');
    leftovers(stateDir, [namespace]);
    const orphan = spawn(
      'ip',
      ['netns', 'exec', namespace, process.execPath, '-e', 'setInterval(() => {}, 1000)'],
      {
        env: { PATH: process.env.PATH, [INSTANCE_ENV]: stateDir },
        stdio: 'ignore',
      },
    );
    const exited = new Promise((resolve) => orphan.once('exit', resolve));
    while (instanceProcesses(stateDir).length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const result = await down(stateDir);
    expect(result).toEqual({
      code: 0,
      stdout: `Meridio local is down: removed what the instance left: 1 processes, 1 namespaces; ${stateDir} removed.\n`,
    });
    await exited;
    expect(instanceProcesses(stateDir)).toEqual([]);
    expect(sandbox.kernel.namespaceExists(namespace)).toBe(false);
    expect(existsSync(stateDir)).toBe(false);
    expect((await down(stateDir)).stdout).toContain('Nothing to take down');
  });

  test('leaves a file that is not the instance’s, and the directory with it', async () => {
    const stateDir = join(parent, 'state');
    leftovers(stateDir, []);
    writeFileSync(join(stateDir, 'notes.txt'), 'mine');
    const result = await down(stateDir);
    expect(result.stdout).toContain(`${stateDir} kept because it also holds notes.txt`);
    expect(readdirSync(stateDir)).toEqual(['notes.txt']);
  });
});

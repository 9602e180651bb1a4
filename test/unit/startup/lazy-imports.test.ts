/**
 * Every `meridio` process pays at start for what it imports; client-node alone takes a second. These
 * tests run the built modules (dist/, as the `meridio` command runs) in a child `node` whose resolve
 * hook records every module the loader resolves, and check that settings, configuration files and
 * help texts do not load the heavy packages: someone re-adding a static import of one of them, even
 * several modules deep, makes the test fail. No timing: `npm run bench:startup` measures.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const DIST = join(process.cwd(), 'dist');
const BIN = join(DIST, 'bin', 'meridio.js');

/** The packages a help text or a settings module has no use for, and their cost at start. */
const HEAVY = [
  '@kubernetes/client-node',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'koffi',
  'netlink',
  'prom-client',
  'better-sqlite3',
];

const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.MERIDIO_IMPORT_TRACE, resolved.url + '\\n');
  return resolved;
}
`;

let directory: string;
let register: string;

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build with "make build" before this test`);
  directory = mkdtempSync(join(tmpdir(), 'meridio-startup-'));
  writeFileSync(join(directory, 'hooks.mjs'), HOOKS);
  register = join(directory, 'register.mjs');
  writeFileSync(
    register,
    `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(directory, 'hooks.mjs')).href)});\n`,
  );
});

afterAll(() => rmSync(directory, { recursive: true, force: true }));

let runs = 0;

/** Runs `node <args>` with the hook; returns the URLs it resolved and its exit code. */
function traced(args: readonly string[]): { urls: string[]; status: number | null; stderr: string } {
  const trace = join(directory, `trace-${++runs}.txt`);
  writeFileSync(trace, '');
  const result = spawnSync(process.execPath, ['--import', register, ...args], {
    env: { PATH: process.env.PATH, MERIDIO_IMPORT_TRACE: trace },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return {
    urls: readFileSync(trace, 'utf8').split('\n').filter(Boolean),
    status: result.status,
    stderr: result.stderr,
  };
}

function importing(modulePath: string): ReturnType<typeof traced> {
  const url = pathToFileURL(join(DIST, modulePath)).href;
  return traced(['--input-type=module', '-e', `await import(${JSON.stringify(url)});`]);
}

/** The packages of `packages` among the resolved URLs. */
function loaded(urls: readonly string[], packages: readonly string[] = HEAVY): string[] {
  return packages.filter((name) => urls.some((url) => url.includes(`/node_modules/${name}/`)));
}

describe('start-up loads only what the command uses', () => {
  test('the trace sees a package loaded several modules deep (so an empty list below means something)', () => {
    const { urls, status } = traced([
      '--input-type=module',
      '-e',
      `await import(${JSON.stringify(pathToFileURL(join(DIST, 'sdk', 'grpc', 'index.js')).href)});`,
    ]);
    expect(status).toBe(0);
    expect(loaded(urls)).toContain('@grpc/grpc-js');
  });

  test('the settings module loads none of the heavy packages', () => {
    const { urls, status, stderr } = importing('sdk/settings/index.js');
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(urls.some((url) => url.endsWith('/dist/sdk/settings/meridio.js'))).toBe(true);
    expect(loaded(urls)).toEqual([]);
  });

  test('the configuration module loads client-node only when a ConfigMap is watched', () => {
    const { urls, status, stderr } = importing('sdk/config/index.js');
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    expect(urls.some((url) => url.endsWith('/dist/sdk/config/kubernetes-source.js'))).toBe(true);
    expect(loaded(urls)).toEqual([]);
  });

  test.each([
    ['--help', ['--help']],
    ['local --help', ['local', '--help']],
    ['local vip --help', ['local', 'vip', '--help']],
    ['nsp --help', ['nsp', '--help']],
    ['ipam --help', ['ipam', '--help']],
    ['nsm --help', ['nsm', '--help']],
    ['proxy --help', ['proxy', '--help']],
    ['target --help', ['target', '--help']],
    ['lb --help', ['lb', '--help']],
    ['nsp with a bad setting', ['nsp', '--keepalive', 'often']],
  ])('meridio %s loads none of the heavy packages', (_name, argv) => {
    const { urls, status } = traced([BIN, ...argv]);
    expect(status).toBe(argv.includes('--help') ? 0 : 2);
    expect(urls.length).toBeGreaterThan(1);
    expect(loaded(urls)).toEqual([]);
  });

  test('meridio local status of no instance loads none of the heavy packages', () => {
    const { urls, status, stderr } = traced([BIN, 'local', 'status', '--state-dir', join(directory, 'none')]);
    expect(status).toBe(1);
    expect(stderr).toContain('Meridio local is not up in');
    expect(loaded(urls)).toEqual([]);
  });

  test('meridio operator --help does not load client-node', () => {
    const { urls, status } = traced([BIN, 'operator', '--help']);
    expect(status).toBe(0);
    expect(urls.some((url) => url.endsWith('/dist/endpoints/operator/main.js'))).toBe(true);
    expect(loaded(urls, ['@kubernetes/client-node'])).toEqual([]);
  });
});

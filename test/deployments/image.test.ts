import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The image cannot be built here (no Docker engine), so this checks what can be checked without
 * one: that the Dockerfile's stages, copies and entry point agree with the repository and its build.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (path: string): string => readFileSync(`${ROOT}${path}`, 'utf8');

interface Stage {
  readonly from: string;
  readonly name?: string;
  readonly instructions: readonly string[];
}

/** Instructions per stage, with line continuations joined and comments dropped. */
function stagesOf(dockerfile: string): Stage[] {
  const lines = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const stages: { from: string; name?: string; instructions: string[] }[] = [];
  for (const line of lines) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?$/i.exec(line);
    if (from) stages.push({ from: from[1]!, ...(from[2] ? { name: from[2] } : {}), instructions: [] });
    else stages.at(-1)?.instructions.push(line);
  }
  return stages;
}

describe('deployments/images/Dockerfile', () => {
  const dockerfile = read('deployments/images/Dockerfile');
  const [build, runtime, ...more] = stagesOf(dockerfile);

  test('two stages: a full Node image that runs `make build`, a slim one that runs `meridio`', () => {
    expect(more).toEqual([]);
    expect(build).toMatchObject({ from: 'node:${NODE_VERSION}-bookworm', name: 'build' });
    expect(runtime!.from).toBe('node:${NODE_VERSION}-bookworm-slim');
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=20\.\d+$/m);
    expect(build!.instructions).toContain('RUN make build && npm prune --omit=dev --no-audit --no-fund');
    expect(read('Makefile')).toMatch(/^build: .*\bnative\b/m);
  });

  test('the build stage has the -dev packages that binding.gyp links, the runtime stage their libraries', () => {
    const gyp = JSON.parse(read('binding.gyp')) as {
      targets: { target_name: string; libraries: string[] }[];
    };
    const libraries = gyp.targets.flatMap((target) => target.libraries);
    expect(libraries).toEqual(['-lnetfilter_queue', '-lmnl']);
    const install = (stage: Stage): string =>
      stage.instructions.find((line) => line.includes('apt-get install'))!;
    expect(install(build!)).toMatch(/libnetfilter-queue-dev .*libmnl-dev/);
    expect(install(runtime!)).toMatch(/libnetfilter-queue1 libmnl0/);
  });

  test('every copy from the build stage is something the repository has or the build makes', () => {
    const gyp = JSON.parse(read('binding.gyp')) as { targets: { target_name: string }[] };
    const outDir = (JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string } })
      .compilerOptions.outDir;
    const made = new Set(['node_modules', outDir, `build/Release/${gyp.targets[0]!.target_name}.node`]);
    const copies = runtime!.instructions
      .filter((line) => line.startsWith('COPY --from=build'))
      .map((line) => line.split(/\s+/)[2]!.replace(/^\/src\//, ''));
    expect(copies.length).toBeGreaterThanOrEqual(5);
    for (const source of copies)
      expect([source, made.has(source) || existsSync(`${ROOT}${source}`)]).toEqual([source, true]);
    // The addon goes where sdk/nfqueue looks for it, three levels above dist/sdk/nfqueue.
    expect(read('sdk/nfqueue/native.ts')).toContain("join('build', 'Release', 'meridio_nfqueue.node')");
  });

  test("the entry point is the package bin, so the container arguments are `meridio`'s", () => {
    const bin = (JSON.parse(read('package.json')) as { bin: { meridio: string } }).bin.meridio;
    expect(runtime!.instructions).toContain(`ENTRYPOINT ["node", "/app/${bin}"]`);
    expect(existsSync(`${ROOT}${bin.replace(/^dist\//, '').replace(/\.js$/, '.ts')}`)).toBe(true);
    expect(runtime!.instructions.some((line) => /^USER 65532(:65532)?$/.test(line))).toBe(true);
  });

  test('the build context leaves out what the build makes itself', () => {
    const ignored = read('deployments/images/Dockerfile.dockerignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', 'build', '.git']));
  });
});

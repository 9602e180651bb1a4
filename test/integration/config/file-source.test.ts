import { mkdir, mkdtemp, readFile, readdir, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { InvalidArgumentError } from '../../../sdk/core/index.js';
import {
  type ConfigSource,
  fileConfigSource,
  parseMeridioConf,
  readConfigFile,
  writeConfigFile,
} from '../../../sdk/config/index.js';
import { SourceReader, capturingLogger } from './readers.js';

describe('fileConfigSource on a real directory', () => {
  let directory: string;
  let path: string;
  const sources: ConfigSource[] = [];

  const open = (
    options: { logger?: Parameters<typeof fileConfigSource>[0]['logger'] } = {},
  ): SourceReader => {
    const source = fileConfigSource({ path, debounceMs: 20, ...options });
    sources.push(source);
    return new SourceReader(source);
  };

  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'meridio-config-file-'));
    path = join(directory, 'meridio.conf');
  });

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.close()));
    await rm(directory, { recursive: true, force: true });
  });

  test('missing at start, created, edited in place, replaced atomically, emptied: the right differences', async () => {
    const reader = open();
    expect((await reader.nextNotice('absent')).message).toBe(
      `file ${path} does not exist yet; no configuration until it is created`,
    );
    await writeFile(path, 'vips: [20.0.0.1/32]\n');
    expect(await reader.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });

    await writeFile(path, 'vips: [20.0.0.1/32, 2000::1/128]\n');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.1/32', '2000::1/128'],
      added: ['2000::1/128'],
      removed: [],
    });

    await writeConfigFile(path, parseMeridioConf('vips: [2000::1/128, 30.0.0.1/32]'));
    expect(await reader.nextUpdate()).toEqual({
      vips: ['2000::1/128', '30.0.0.1/32'],
      added: ['30.0.0.1/32'],
      removed: ['20.0.0.1/32'],
    });
    expect(await readFile(path, 'utf8')).toBe('vips: [2000::1/128, 30.0.0.1/32]\n');
    expect(await readdir(directory)).toEqual(['meridio.conf']);

    await writeConfigFile(path, { vips: [] });
    expect(await reader.nextUpdate()).toEqual({
      vips: [],
      added: [],
      removed: ['2000::1/128', '30.0.0.1/32'],
    });
  });

  test('invalid content is rejected with one log line; the last valid configuration stays', async () => {
    // Written atomically, so that no read sees a half-written file (which would be one more rejection).
    const replace = async (text: string): Promise<void> => {
      await writeFile(`${path}.new`, text);
      await rename(`${path}.new`, path);
    };
    await replace('vips: [20.0.0.1/32]\n');
    const { logger, lines } = capturingLogger();
    const reader = open({ logger });
    expect(await reader.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });

    await replace('vips: [20.0.0.1/32, 20.0.0.1/8]\n');
    const rejected = await reader.nextNotice('rejected');
    expect(rejected.message).toBe(
      `configuration from file ${path} rejected (the last valid one stays): vips[1] "20.0.0.1/8" is not a valid CIDR: host bits are set (the network is 20.0.0.0/8)`,
    );
    expect(reader.source.current()?.vips.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32']);
    await replace('ipv4: [20.0.0.1/32]\n');
    expect((await reader.nextNotice('rejected')).error.message).toBe(
      'meridio.conf has an unknown key "ipv4"; the only key is "vips"',
    );

    await replace('vips: [20.0.0.1/32, 20.0.0.0/8]\n');
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.1/32', '20.0.0.0/8'],
      added: ['20.0.0.0/8'],
      removed: [],
    });
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings.map((line) => line.msg)).toEqual([
      rejected.message,
      `configuration from file ${path} rejected (the last valid one stays): meridio.conf has an unknown key "ipv4"; the only key is "vips"`,
    ]);
    expect(warnings[0]).toMatchObject({ configFile: path, reason: rejected.error.message });
    expect(lines.filter((line) => line.msg.endsWith('accepted')).map((line) => line.added)).toEqual([
      ['20.0.0.1/32'],
      ['20.0.0.0/8'],
    ]);
  });

  test('deleting the file keeps the configuration; re-creating it applies the difference', async () => {
    await writeFile(path, 'vips: [20.0.0.1/32]\n');
    const reader = open();
    await reader.nextUpdate();
    await unlink(path);
    expect((await reader.nextNotice('deleted')).message).toBe(
      `file ${path} was deleted; the last configuration stays in force`,
    );
    expect(reader.source.current()?.vips.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32']);
    await writeConfigFile(path, parseMeridioConf('vips: [20.0.0.1/32, 20.0.0.3/32]'));
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.1/32', '20.0.0.3/32'],
      added: ['20.0.0.3/32'],
      removed: [],
    });
  });

  test('a ConfigMap volume: the ..data symlink is swapped to a new directory', async () => {
    const generation = async (name: string, text: string): Promise<void> => {
      await mkdir(join(directory, name));
      await writeFile(join(directory, name, 'meridio.conf'), text);
    };
    await generation('..2026_01', 'vips: [20.0.0.1/32]\n');
    await symlink('..2026_01', join(directory, '..data'));
    await symlink('..data/meridio.conf', path);
    const reader = open();
    expect(await reader.nextUpdate()).toEqual({ vips: ['20.0.0.1/32'], added: ['20.0.0.1/32'], removed: [] });
    await generation('..2026_02', 'vips: [20.0.0.2/32]\n');
    await symlink('..2026_02', join(directory, '..data_tmp'));
    await rename(join(directory, '..data_tmp'), join(directory, '..data'));
    expect(await reader.nextUpdate()).toEqual({
      vips: ['20.0.0.2/32'],
      added: ['20.0.0.2/32'],
      removed: ['20.0.0.1/32'],
    });
  });

  test('a directory that does not exist is a clear error at creation', () => {
    expect(() => fileConfigSource({ path: join(directory, 'missing', 'meridio.conf') })).toThrow(
      InvalidArgumentError,
    );
    expect(() => fileConfigSource({ path: join(directory, 'missing', 'meridio.conf') })).toThrow(
      `cannot watch the configuration file ${join(directory, 'missing', 'meridio.conf')}: its directory`,
    );
  });

  test('readConfigFile: undefined when missing, the configuration when valid, InvalidConfigError otherwise', async () => {
    expect(await readConfigFile(path)).toBeUndefined();
    await writeConfigFile(path, parseMeridioConf('vips: [2000::1/128]'));
    expect((await readConfigFile(path))?.vips.map((vip) => vip.cidr)).toEqual(['2000::1/128']);
    await writeFile(path, 'vips: [x]');
    await expect(readConfigFile(path)).rejects.toThrow('vips[0] "x" is not a valid CIDR');
  });

  test('close ends the iterations', async () => {
    await writeFile(path, 'vips: []\n');
    const reader = open();
    await reader.nextUpdate();
    await reader.source.close();
    expect(await reader.updatesEnded()).toBe(true);
    expect(await reader.noticesEnded()).toBe(true);
  });
});

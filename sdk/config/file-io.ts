import { randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

import type { MeridioConfig } from './model.js';
import { formatMeridioConf, parseMeridioConf } from './parse.js';

/**
 * Reads a local configuration file: undefined when it does not exist; InvalidConfigError when its
 * content is invalid.
 */
export async function readConfigFile(path: string): Promise<MeridioConfig | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ENOENT') return undefined;
    throw error;
  }
  return parseMeridioConf(text);
}

/**
 * Replaces a local configuration file atomically (a temporary file in the same directory renamed
 * over it), so a watcher never reads a half-written file.
 */
export async function writeConfigFile(path: string, config: MeridioConfig): Promise<void> {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, formatMeridioConf(config), { mode: 0o644 });
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

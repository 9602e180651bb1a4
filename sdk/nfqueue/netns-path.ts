import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { InvalidArgumentError } from '../core/index.js';
import { NetnsNotFoundError } from './errors.js';

/** A namespace name (under /run/netns) or an absolute path → the path of the namespace file. */
export function resolveNetns(netns: string | undefined): string | undefined {
  if (netns === undefined) return undefined;
  if (netns === '' || (!isAbsolute(netns) && netns.includes('/'))) {
    throw new InvalidArgumentError(`"${netns}" is neither a network namespace name nor an absolute path.`);
  }
  const path = isAbsolute(netns) ? netns : join('/run/netns', netns);
  if (!existsSync(path)) {
    throw new NetnsNotFoundError(`Network namespace ${netns} does not exist (${path} is missing).`, 'ENOENT');
  }
  return path;
}

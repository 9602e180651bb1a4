/**
 * `meridio local vip add|remove CIDR`: edits the instance's configuration file (atomically); the LBs,
 * proxies and targets apply the change without a restart, and the supervisor routes the VIP at the
 * gateway.
 */
import { existsSync } from 'node:fs';

import { readConfigFile, writeConfigFile } from '../../../sdk/config/index.js';
import { LocalUsageError } from '../errors.js';
import type { StatePaths } from '../state-paths.js';
import { checkVip } from '../vips.js';
import { notUp, type Io } from './common.js';
import { waitReady } from './progress.js';

export async function vip(
  paths: StatePaths,
  action: string | undefined,
  cidr: string | undefined,
  options: { readonly wait: boolean; readonly timeoutMs: number },
  io: Io,
): Promise<number> {
  if ((action !== 'add' && action !== 'remove') || cidr === undefined) {
    throw new LocalUsageError('Write "meridio local vip add CIDR" or "meridio local vip remove CIDR".');
  }
  if (!existsSync(paths.configFile)) throw notUp(paths);
  const wanted = checkVip(cidr);
  const config = (await readConfigFile(paths.configFile)) ?? { vips: [] };
  const present = config.vips.some((vip) => vip.cidr === wanted.cidr);
  if ((action === 'add') === present) {
    io.stdout.write(
      `The VIP ${wanted.cidr} is ${present ? 'already' : 'not'} configured: nothing to change.\n`,
    );
    return 0;
  }
  const vips =
    action === 'add' ? [...config.vips, wanted] : config.vips.filter((vip) => vip.cidr !== wanted.cidr);
  await writeConfigFile(paths.configFile, { vips });
  io.stdout.write(
    `VIP ${wanted.cidr} ${action === 'add' ? 'added' : 'removed'}; VIPs now: ${vips.map((vip) => vip.cidr).join(', ') || '(none)'}.\n`,
  );
  if (options.wait) {
    await waitReady(paths, {
      timeoutMs: options.timeoutMs,
      output: io.stdout,
      what: 'the VIP change',
      accept: (status) => status.vips.includes(wanted.cidr) === (action === 'add'),
    });
  }
  return 0;
}

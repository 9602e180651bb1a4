/**
 * kill -9 of a proxy, an LB, the NSP and the NSM of a running instance: the supervisor restarts each,
 * the system heals (every target answers again on both VIPs, nothing lost in the probe), and the targets
 * keep their addresses. The time to heal is printed.
 */
import { analyzeHosts, type Statistics } from '../../clients/ctraffic/index.js';
import type { LocalStatus } from '../../endpoints/local/index.js';
import {
  bringUp,
  describeE2e,
  newInstance,
  requireBuild,
  settle,
  VIP4,
  VIP6,
  type LocalInstance,
} from './local-instance.js';

const HEAL_TIMEOUT_MS = 90_000;

function healthy(stats: Statistics, targets: readonly string[]): boolean {
  const analysis = analyzeHosts(stats);
  return (
    targets.every((target) => (analysis.lasting[target] ?? 0) > 0) &&
    analysis.lostTotal === 0 &&
    analysis.unanswered === 0 &&
    stats.FailedConnects === 0
  );
}

/** Probe rounds from the external host until one reaches every target on both VIPs with nothing lost. */
async function timeToHeal(
  instance: LocalInstance,
  targets: readonly string[],
  killedAt: number,
): Promise<number> {
  for (;;) {
    const round = await Promise.all([
      instance.ctraffic({ address: VIP4, nconn: 40, durationMs: 1500 }),
      instance.ctraffic({ address: VIP6, nconn: 40, durationMs: 1500 }),
    ]);
    if (round.every((stats) => healthy(stats, targets))) return Date.parse(round[0].Started) - killedAt;
    if (Date.now() - killedAt > HEAL_TIMEOUT_MS) {
      throw new Error(
        `not healed ${HEAL_TIMEOUT_MS} ms after the kill: ${JSON.stringify(round.map(analyzeHosts))}`,
      );
    }
  }
}

function pidOf(status: LocalStatus, name: string): { pid: number; restarts: number } {
  const entry = [...status.services, ...status.lbs, ...status.proxies].find((item) => item.name === name);
  if (entry?.pid == null) throw new Error(`${name} has no running process: ${JSON.stringify(entry)}`);
  return { pid: entry.pid, restarts: entry.restarts };
}

const ipsByTarget = (status: LocalStatus): Record<string, readonly string[]> =>
  Object.fromEntries(status.targets.map((target) => [target.name, target.ips]));

describeE2e('meridio local end-to-end tests')('meridio local: kill -9 and heal', () => {
  let instance: LocalInstance;
  let initial: LocalStatus;

  beforeAll(async () => {
    requireBuild();
    instance = newInstance('e2er');
    await bringUp(instance, { targets: 4 });
    initial = await instance.status();
  }, 300_000);

  afterAll(async () => {
    if (instance !== undefined) await settle(() => instance.down());
  }, 120_000);

  test.each(['proxy-1', 'lb-1', 'nsp', 'nsm'])(
    'kill -9 %s: restarted, traffic heals, targets keep their addresses',
    async (name) => {
      const before = await instance.status();
      const killed = pidOf(before, name);
      const targets = before.targets.map((target) => target.name);
      const killedAt = Date.now();
      process.kill(killed.pid, 'SIGKILL');
      const healMs = await timeToHeal(instance, targets, killedAt);
      // The supervisor restarted it, and the instance is whole again (every target registered and reached).
      let after = await instance.status();
      for (let waited = 0; !(after.ready && pidOf(after, name).pid !== killed.pid); waited += 500) {
        if (waited > HEAL_TIMEOUT_MS)
          throw new Error(`the instance is not ready again: ${JSON.stringify(after)}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
        after = await instance.status();
      }
      const readyMs = Date.now() - killedAt;
      console.log(
        `kill -9 ${name}: traffic healed within ${healMs} ms; restarted and ready after ${readyMs} ms`,
      );
      expect(pidOf(after, name).restarts).toBe(killed.restarts + 1);
      expect(ipsByTarget(after)).toEqual(ipsByTarget(initial));
      expect(after.targets.map((target) => target.identifier)).toEqual(
        initial.targets.map((target) => target.identifier),
      );
    },
    150_000,
  );
});

import { fwmarkRange, TargetReconciler } from '../../../endpoints/lb/index.js';
import type { NspTarget } from '../../../sdk/services/nsp/index.js';
import { capturingLogger, FakeActivation, FakeRouting, PINO_ERROR, type Call } from './fake-lb.js';

const range = fwmarkRange(5000, 100);

/** Target n of subnet s: 172.16.s.(n+1)/24 and fd00:s::(n+1)/64 with the given identifier. */
function target(n: number, identifier: string | undefined, subnet = 1): NspTarget {
  return {
    ips: [`172.16.${subnet}.${n + 1}/24`, `fd00:${subnet}::${n + 1}/64`],
    context: identifier === undefined ? {} : { identifier },
  };
}

function setup() {
  const log: Call[] = [];
  const routing = new FakeRouting(log);
  const activation = new FakeActivation(log);
  const { logger, lines } = capturingLogger();
  const reconciler = new TargetReconciler({ routing, activation, range, logger });
  const connect = (n: number, subnet = 1): void => {
    routing.connected.add(`172.16.${subnet}.${n + 1}`);
    routing.connected.add(`fd00:${subnet}::${n + 1}`);
  };
  return { log, routing, activation, reconciler, lines, connect };
}

describe('TargetReconciler', () => {
  it('adds rule, route and neighbour flush for each family before it activates the identifier', async () => {
    const { log, reconciler, activation, connect } = setup();
    connect(1);
    await reconciler.add(target(1, '7'));
    expect(log).toEqual([
      'rule+ v4 5007',
      'route+ v4 5007 172.16.1.2',
      'flush 172.16.1.2',
      'rule+ v6 5007',
      'route+ v6 5007 fd00:1::2',
      'flush fd00:1::2',
      'activate [7]',
    ]);
    expect(activation.active).toEqual([7]);
    expect(reconciler.targets()).toEqual([
      expect.objectContaining({ identifier: 7, table: 5007, state: 'active', reason: undefined }),
    ]);
  });

  it('deactivates a leaving target before it removes its routes and rules', async () => {
    const { log, reconciler, routing, connect } = setup();
    connect(1);
    connect(2);
    await reconciler.add(target(1, '1'));
    await reconciler.add(target(2, '2'));
    log.length = 0;
    await reconciler.remove(target(1, '1'));
    expect(log).toEqual([
      'activate [2]',
      'route- v4 5001',
      'rule- v4 5001',
      'route- v6 5001',
      'rule- v6 5001',
    ]);
    expect([...routing.rules].sort()).toEqual(['4/5002', '6/5002']);
    expect(reconciler.active()).toEqual([2]);
  });

  it('keeps a target whose gateway is not connected pending, and activates it on a retry once it is', async () => {
    const { log, reconciler, activation, connect, lines } = setup();
    await reconciler.add(target(3, '3'));
    expect(log).toEqual(['rule+ v4 5003', 'route! v4 5003 172.16.1.4']);
    expect(activation.active).toEqual([]);
    expect(reconciler.pendingCount()).toBe(1);
    expect(reconciler.targets()[0]).toEqual(
      expect.objectContaining({ state: 'pending', reason: expect.stringContaining('ENETUNREACH') }),
    );
    expect(lines.filter((line) => line.msg === 'target cannot be routed yet; retrying')).toHaveLength(1);

    await reconciler.retryPending();
    expect(activation.active).toEqual([]);
    // The same reason again is not logged at warn level a second time.
    expect(
      lines.filter((line) => line.msg === 'target cannot be routed yet; retrying' && line.level >= 40),
    ).toHaveLength(1);

    connect(3);
    log.length = 0;
    await reconciler.retryPending();
    expect(log.at(-1)).toBe('activate [3]');
    expect(log.indexOf('flush fd00:1::4')).toBeLessThan(log.indexOf('activate [3]'));
    expect(reconciler.pendingCount()).toBe(0);
  });

  it.each([
    ['no identifier', undefined, 'has no "identifier"'],
    ['identifier 0', '0', 'identifiers are whole numbers from 1 to 100'],
    ['identifier above N', '101', 'identifiers are whole numbers from 1 to 100'],
    ['a negative identifier', '-1', 'identifiers are whole numbers from 1 to 100'],
    ['a non-numeric identifier', 'three', 'identifiers are whole numbers from 1 to 100'],
    ['a fractional identifier', '2.5', 'identifiers are whole numbers from 1 to 100'],
  ])(
    'refuses a target with %s, logs why, and keeps the others working',
    async (_what, identifier, reason) => {
      const { log, reconciler, activation, connect, lines } = setup();
      connect(1);
      connect(2);
      await reconciler.add(target(1, '1'));
      log.length = 0;
      await reconciler.add(target(2, identifier));
      expect(log).toEqual([]);
      expect(activation.active).toEqual([1]);
      expect(reconciler.refusals()).toEqual([
        expect.objectContaining({ key: '172.16.1.3,fd00:1::3', reason: expect.stringContaining(reason) }),
      ]);
      const refused = lines.find((line) => line.msg === 'NSP target refused');
      expect(refused).toEqual(
        expect.objectContaining({ level: PINO_ERROR, reason: expect.stringContaining(reason) }),
      );
      // Unregistering the refused target is not an error and touches nothing.
      await reconciler.remove(target(2, identifier));
      expect(log).toEqual([]);
      expect(reconciler.refusals()).toEqual([]);
    },
  );

  it('refuses a second target with an identifier already taken (also written differently), until the first leaves', async () => {
    const { log, reconciler, activation, connect, lines } = setup();
    connect(1);
    connect(2);
    await reconciler.add(target(1, '4'));
    log.length = 0;
    await reconciler.add(target(2, '04'));
    expect(log).toEqual([]);
    expect(reconciler.refusals()).toEqual([
      expect.objectContaining({
        reason: expect.stringContaining('asks for identifier 4, which target 172.16.1.2/24'),
      }),
    ]);
    expect(lines.some((line) => line.msg === 'NSP target refused' && line.level === PINO_ERROR)).toBe(true);

    await reconciler.remove(target(1, '4'));
    expect(log).toEqual([
      'activate []',
      'route- v4 5004',
      'rule- v4 5004',
      'route- v6 5004',
      'rule- v6 5004',
      'rule+ v4 5004',
      'route+ v4 5004 172.16.1.3',
      'flush 172.16.1.3',
      'rule+ v6 5004',
      'route+ v6 5004 fd00:1::3',
      'flush fd00:1::3',
      'activate [4]',
    ]);
    expect(activation.active).toEqual([4]);
    expect(reconciler.refusals()).toEqual([]);
  });

  it('leaves the kernel alone when only other context changes, and moves the target when its identifier changes', async () => {
    const { log, reconciler, activation, connect } = setup();
    connect(1);
    await reconciler.add(target(1, '5'));
    log.length = 0;
    const relabelled = { ...target(1, '5'), context: { identifier: '5', node: 'worker-1' } };
    await reconciler.update(relabelled, target(1, '5'));
    expect(log).toEqual([]);

    await reconciler.update(target(1, '6'), relabelled);
    expect(log[0]).toBe('activate []');
    expect(log.at(-1)).toBe('activate [6]');
    expect(log).toContain('rule- v6 5005');
    expect(log).toContain('route+ v4 5006 172.16.1.2');
    expect(activation.active).toEqual([6]);
  });

  it('deactivates a target whose route went with its link, and brings it back when it can be routed again', async () => {
    const { reconciler, routing, activation, connect } = setup();
    connect(1);
    connect(2);
    await reconciler.add(target(1, '1'));
    await reconciler.add(target(2, '2'));
    routing.disconnect('172.16.1.2');
    expect(await reconciler.verify()).toBe(1);
    expect(activation.active).toEqual([2]);
    expect(reconciler.targets()[0]).toEqual(expect.objectContaining({ identifier: 1, state: 'pending' }));
    expect(await reconciler.verify()).toBe(0);

    routing.connected.add('172.16.1.2');
    await reconciler.retryPending();
    expect(activation.active).toEqual([1, 2]);
  });

  it('keeps routed targets pending when publishing the table fails, and activates them on the next retry', async () => {
    const { reconciler, activation, connect } = setup();
    connect(1);
    activation.failNext = 1;
    await reconciler.add(target(1, '9'));
    expect(activation.active).toEqual([]);
    expect(reconciler.targets()[0]).toEqual(
      expect.objectContaining({ state: 'pending', reason: expect.stringContaining('activating it failed') }),
    );
    await reconciler.retryPending();
    expect(activation.active).toEqual([9]);
  });

  it('applies changes one at a time in the order they were asked for', async () => {
    const { reconciler, activation, connect } = setup();
    for (let n = 1; n <= 5; n++) connect(n);
    const work = [1, 2, 3, 4, 5].map((n) => reconciler.add(target(n, String(n))));
    work.push(reconciler.remove(target(3, '3')));
    await Promise.all(work);
    expect(activation.active).toEqual([1, 2, 4, 5]);
  });

  it('clear deactivates everything first, then removes every rule and route of its tables', async () => {
    const { log, reconciler, routing, connect } = setup();
    connect(1);
    await reconciler.add(target(1, '1'));
    await reconciler.add(target(2, '2'));
    log.length = 0;
    await reconciler.clear();
    expect(log[0]).toBe('activate []');
    expect(log.at(-1)).toBe('removeAll 5001-5100');
    expect(routing.rules.size + routing.routes.size).toBe(0);
    expect(reconciler.targets()).toEqual([]);
  });

  it('removes what an earlier run left in its tables', async () => {
    const { reconciler, routing, log } = setup();
    routing.leftovers = 6;
    expect(await reconciler.removeLeftovers()).toBe(6);
    expect(log).toEqual(['removeAll 5001-5100']);
  });
});

import { type Operator, startOperator } from '../../../endpoints/operator/index.js';
import { type ApiRequest, CONFIG_MAP, LEASE, type TestApiServer } from '../../helpers/apiserver/index.js';
import {
  NAMESPACE,
  TRENCH,
  TrenchClient,
  confOf,
  quietLogger,
  startOperatorApiServer,
  stored,
  until,
  waitForStore,
} from './harness.js';

const LEASE_NAME = 'meridio-operator';
const CM = 'meridio-configuration';

/** A replica and the leadership changes it reported, in order. */
interface Replica {
  readonly operator: Operator;
  readonly changes: boolean[];
  /** Resolves when the replica reports `leading` as its latest state. */
  leading(value: boolean): Promise<void>;
}

describe('leader election: several operator replicas, one writer', () => {
  let server: TestApiServer;
  const replicas: Replica[] = [];

  /** Short leases keep the tests short; the two-replica test uses longer ones, so a busy CI machine cannot make its leader miss a renewal. */
  const startReplica = async (
    identity: string,
    lease = { leaseDurationMs: 1000, renewDeadlineMs: 600, retryPeriodMs: 100 },
  ): Promise<Replica> => {
    const changes: boolean[] = [];
    const waiters = new Set<() => void>();
    const operator = await startOperator({
      kubeConfig: server.kubeConfig(NAMESPACE),
      namespace: NAMESPACE,
      identity,
      // Each replica signs its writes, so the API server's log tells who wrote what.
      fieldManager: identity,
      logger: quietLogger,
      leaderElection: { leaseName: LEASE_NAME, ...lease },
      onLeadershipChange: (leading) => {
        changes.push(leading);
        for (const wake of [...waiters]) wake();
      },
      controller: { reconnectBackoff: { initialMs: 20, maxMs: 200 }, retry: { initialMs: 10, maxMs: 200 } },
    });
    const replica: Replica = {
      operator,
      changes,
      leading: (value) =>
        new Promise<void>((resolve) => {
          const check = (): void => {
            if ((changes.at(-1) ?? false) !== value) return;
            waiters.delete(check);
            resolve();
          };
          waiters.add(check);
          check();
        }),
    };
    replicas.push(replica);
    return replica;
  };
  const holder = (): string | undefined =>
    (stored(server, LEASE, LEASE_NAME)?.spec as { holderIdentity?: string } | undefined)?.holderIdentity;
  const isWrite = (request: ApiRequest): boolean =>
    ['create', 'update', 'patch', 'delete'].includes(request.verb) &&
    (request.resource === 'configmaps' || request.resource === 'trenches');
  const configMapWith = (text: string): Promise<unknown> =>
    waitForStore(server, () => (confOf(stored(server, CONFIG_MAP, CM)) === text ? true : undefined));

  beforeEach(async () => {
    server = await startOperatorApiServer();
  });

  afterEach(async () => {
    await Promise.all(replicas.splice(0).map((replica) => replica.operator.stop()));
    await server.close();
  });

  test('two replicas: only the leader writes; when it stops, it releases the lease and the other takes over', async () => {
    const lease = { leaseDurationMs: 8000, renewDeadlineMs: 6000, retryPeriodMs: 200 };
    const a = await startReplica('replica-a', lease);
    const b = await startReplica('replica-b', lease);
    const leaderIdentity = await waitForStore(server, holder);
    const [leader, follower] = leaderIdentity === 'replica-a' ? [a, b] : [b, a];
    await leader.leading(true);
    expect(follower.operator.isLeader()).toBe(false);
    expect(follower.operator.controller()).toBeUndefined();

    const trenches = new TrenchClient(server.kubeConfig(NAMESPACE));
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');
    await trenches.patchSpec('trench-a', { vips: ['20.0.0.1/32', '2000::1/128'] });
    await configMapWith('vips: [20.0.0.1/32, 2000::1/128]\n');

    const writes = server.requests.filter(isWrite);
    expect(writes.length).toBeGreaterThanOrEqual(3);
    // Every write of the operators (the test's own trench writes carry no field manager) is the leader's.
    const byOperators = writes.filter((request) => request.query.fieldManager !== undefined);
    expect(new Set(byOperators.map((request) => request.query.fieldManager))).toEqual(
      new Set([leader.operator.identity]),
    );
    expect(follower.changes).toEqual([]);

    // Graceful stop: the reconcile in flight finishes, then the lease is released, so the follower
    // need not wait for it to expire; the old leader writes nothing after that.
    await leader.operator.stop();
    const since = server.requests.length;
    expect(holder()).toBeUndefined();
    await follower.leading(true);
    await trenches.patchSpec('trench-a', { vips: ['40.0.0.0/24'] });
    await configMapWith('vips: [40.0.0.0/24]\n');
    await server.waitForRequest(
      (request) =>
        isWrite(request) &&
        request.resource === 'configmaps' &&
        request.query.fieldManager === follower.operator.identity,
      since,
    );
    const later = server.requests.slice(since).filter(isWrite);
    expect(later.filter((request) => request.query.fieldManager === leader.operator.identity)).toEqual([]);
    expect(
      (stored(server, LEASE, LEASE_NAME)!.spec as { leaseTransitions: number }).leaseTransitions,
    ).toBeGreaterThanOrEqual(1);
  });

  test('a lease held by a replica that stopped renewing is taken once it expires', async () => {
    const renewTime = new Date().toISOString().replace('Z', '000Z');
    server.store.create(LEASE, NAMESPACE, {
      metadata: { name: LEASE_NAME },
      spec: {
        holderIdentity: 'crashed-replica',
        leaseDurationSeconds: 1,
        acquireTime: renewTime,
        renewTime,
        leaseTransitions: 4,
      },
    });
    const candidate = await startReplica('replica-c');
    await candidate.leading(true);
    // The candidate first saw a live holder, so it kept reading until the record had stayed the same
    // for a whole lease duration, and only then wrote.
    const leaseRequests = server.requests.filter((request) => request.resource === 'leases');
    const firstWrite = leaseRequests.findIndex((request) => request.verb === 'update');
    expect(firstWrite).toBeGreaterThanOrEqual(2);
    expect(leaseRequests.slice(0, firstWrite).every((request) => request.verb === 'get')).toBe(true);
    const spec = stored(server, LEASE, LEASE_NAME)!.spec as {
      holderIdentity: string;
      leaseTransitions: number;
    };
    expect(spec).toMatchObject({ holderIdentity: 'replica-c', leaseTransitions: 5 });
  });

  test('a leader that cannot renew within the renew deadline stops reconciling, and leads again later', async () => {
    const replica = await startReplica('replica-a');
    await replica.leading(true);
    const trenches = new TrenchClient(server.kubeConfig(NAMESPACE));
    await trenches.create('trench-a', { vips: ['20.0.0.1/32'] });
    await configMapWith('vips: [20.0.0.1/32]\n');

    await server.stop();
    await replica.leading(false);
    expect(replica.operator.controller()).toBeUndefined();
    // Meanwhile the ConfigMap is deleted: nobody restores it while nobody leads.
    server.store.delete(CONFIG_MAP, NAMESPACE, CM);
    await server.start();
    await replica.leading(true);
    await configMapWith('vips: [20.0.0.1/32]\n');
    expect(replica.changes).toEqual([true, false, true]);
    await until(() => replica.operator.controller()?.hasSynced() === true);
    expect(stored(server, TRENCH, 'trench-a')).toBeDefined();
  });
});

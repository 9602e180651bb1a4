/**
 * The shared list-then-watch loop against a scripted list and watch (the API server is in the
 * integration tests of the ConfigMap source and the operator): what it lists and watches from, what
 * it reports, and when it retries. Time is a fake clock; nothing waits for real time.
 */
import { setImmediate as nextMacrotask } from 'node:timers/promises';

import pino from 'pino';

import { UnavailableError } from '../../../sdk/core/errors.js';
import {
  type ListWatchChange,
  type ListedObjects,
  type RetryDelays,
  type WatchQuery,
  ListWatch,
} from '../../../sdk/kube/index.js';
import { FakeClock } from '../../../sdk/testing/index.js';

interface Obj {
  readonly metadata: { readonly name: string; readonly resourceVersion: string };
  readonly value?: string;
}

const obj = (name: string, resourceVersion: string, value?: string): Obj => ({
  metadata: { name, resourceVersion },
  ...(value === undefined ? {} : { value }),
});

/** One watch the loop opened: the test plays the server's side. */
interface OpenWatch {
  readonly query: WatchQuery;
  readonly event: (type: string, object: unknown) => void;
  readonly done: (error: unknown) => void;
  aborted: boolean;
}

/** Delays scripted by the test, one per failure in a row (the last one repeats). */
class ScriptedDelays implements RetryDelays {
  failures = 0;
  resets = 0;
  constructor(private readonly delays: readonly number[]) {}
  failure(): number {
    const delay = this.delays[Math.min(this.failures, this.delays.length - 1)]!;
    this.failures++;
    return delay;
  }
  reset(): void {
    this.failures = 0;
    this.resets++;
  }
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let turn = 0; turn < 200; turn++) {
    if (check()) return;
    await nextMacrotask();
  }
  throw new Error(`never happened: ${what}`);
}

type ScriptedList = ListedObjects<Obj> | Error | 'hang';

/** The loop, running from the start with `lists` as the answers to its first lists. */
function harness(options: { lists: readonly ScriptedList[]; delays?: readonly number[] }) {
  const clock = new FakeClock();
  const stop = new AbortController();
  const lists: ScriptedList[] = [...options.lists];
  let listCalls = 0;
  const watches: OpenWatch[] = [];
  const changes: string[] = [];
  const synced: string[] = [];
  const failures: Array<{ message: string; retryInMs: number }> = [];
  const delays = new ScriptedDelays(options.delays ?? [0]);
  const loop = new ListWatch<Obj>({
    what: 'things in namespace red',
    logger: pino({ level: 'silent' }),
    list: () => {
      listCalls++;
      const next = lists.shift();
      if (next === undefined) return Promise.reject(new Error('the test scripted no list'));
      if (next === 'hang') return new Promise<never>(() => undefined);
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    watch: (query, event, done) => {
      const open: OpenWatch = { query, event, done, aborted: false };
      watches.push(open);
      return Promise.resolve({ abort: () => (open.aborted = true) });
    },
    onChange: (change: ListWatchChange<Obj>) => {
      const { name, resourceVersion } = change.object.metadata;
      const previous = change.type === 'modified' ? ` from ${change.previous.metadata.resourceVersion}` : '';
      changes.push(`${change.type} ${name}@${resourceVersion}${previous}`);
    },
    onSynced: (resourceVersion) => synced.push(resourceVersion),
    onFailure: (error, retryInMs) => {
      expect(error).toBeInstanceOf(UnavailableError);
      failures.push({ message: error.message, retryInMs });
    },
    retryDelays: delays,
    clock,
    watchTimeoutSeconds: 60,
    watchGraceMs: 5000,
  });
  const running = loop.run(stop.signal);
  let runEnded = false;
  void running.then(() => (runEnded = true));
  return {
    clock,
    stop,
    lists,
    listCalls: () => listCalls,
    watches,
    changes,
    synced,
    failures,
    delays,
    loop,
    running,
    runEnded: () => runEnded,
    /** The watch number `n` (from 1), once the loop has opened it. */
    async watch(n: number): Promise<OpenWatch> {
      await until(() => watches.length >= n, `watch ${n} opened`);
      return watches[n - 1]!;
    },
  };
}

describe('ListWatch', () => {
  test('lists, reports what it found and the synced point, then watches from the list’s resourceVersion', async () => {
    const h = harness({ lists: [{ resourceVersion: '10', items: [obj('a', '3'), obj('b', '7')] }] });
    const watch = await h.watch(1);
    expect(h.changes).toEqual(['added a@3', 'added b@7']);
    expect(h.synced).toEqual(['10']);
    expect(watch.query).toEqual({ allowWatchBookmarks: true, timeoutSeconds: 60, resourceVersion: '10' });

    watch.event('MODIFIED', obj('a', '11', 'x'));
    watch.event('ADDED', obj('c', '12'));
    // The same resourceVersion again is no change.
    watch.event('MODIFIED', obj('c', '12'));
    watch.event('DELETED', obj('b', '13'));
    expect(h.changes.slice(2)).toEqual(['modified a@11 from 3', 'added c@12', 'deleted b@13']);
    expect(h.loop.list().map((o) => o.metadata.name)).toEqual(['a', 'c']);
    expect(h.loop.get('a')?.value).toBe('x');
    expect(h.loop.resourceVersion).toBe('13');
    h.stop.abort();
    await h.running;
  });

  test('a dropped watch resumes from the last resourceVersion seen (bookmarks included), without listing', async () => {
    const h = harness({ lists: [{ resourceVersion: '10', items: [] }] });
    const first = await h.watch(1);
    first.event('ADDED', obj('a', '11'));
    first.event('BOOKMARK', { metadata: { resourceVersion: '15' } });
    first.done(null);
    const second = await h.watch(2);
    expect(second.query.resourceVersion).toBe('15');

    // A transport failure resumes the same way, reported.
    second.event('MODIFIED', obj('a', '16'));
    second.done(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    const third = await h.watch(3);
    expect(third.query.resourceVersion).toBe('16');
    expect(h.failures).toEqual([
      { message: 'the watch of things in namespace red failed: socket hang up', retryInMs: 0 },
    ]);
    expect(h.listCalls()).toBe(1);
    expect(h.changes).toEqual(['added a@11', 'modified a@16 from 11']);
    h.stop.abort();
    await h.running;
  });

  test.each([
    [
      'an ERROR event',
      (w: OpenWatch) => w.event('ERROR', { code: 410, reason: 'Expired', message: 'too old' }),
    ],
    ['an HTTP status', (w: OpenWatch) => w.done(Object.assign(new Error('Gone'), { statusCode: 410 }))],
  ])('410 Gone as %s lists again: what changed or vanished meanwhile is reported', async (_, expire) => {
    const h = harness({
      lists: [{ resourceVersion: '10', items: [obj('a', '3'), obj('b', '4'), obj('c', '5')] }],
    });
    const first = await h.watch(1);
    h.lists.push({ resourceVersion: '40', items: [obj('a', '3'), obj('b', '30'), obj('d', '31')] });
    expire(first);
    const second = await h.watch(2);
    expect(h.listCalls()).toBe(2);
    expect(h.changes.slice(3)).toEqual(['modified b@30 from 4', 'added d@31', 'deleted c@5']);
    expect(h.synced).toEqual(['10', '40']);
    expect(second.query.resourceVersion).toBe('40');
    expect(h.failures).toEqual([]);
    h.stop.abort();
    await h.running;
  });

  test('any other ERROR event is a failure that lists again', async () => {
    const h = harness({ lists: [{ resourceVersion: '10', items: [] }] });
    const first = await h.watch(1);
    h.lists.push({ resourceVersion: '12', items: [] });
    first.event('ERROR', { code: 500, reason: 'InternalError', message: 'etcd is sad' });
    await h.watch(2);
    expect(h.listCalls()).toBe(2);
    expect(h.failures.map((f) => f.message)).toEqual([
      'the watch of things in namespace red failed: etcd is sad (500 InternalError)',
    ]);
    h.stop.abort();
    await h.running;
  });

  test('failures back off as the delays say; progress resets them', async () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const h = harness({
      lists: [refused, refused, { resourceVersion: '10', items: [obj('a', '1')] }],
      delays: [0, 5000],
    });
    await until(() => h.failures.length === 2, 'two failed lists');
    expect(h.failures).toEqual([
      { message: 'listing things in namespace red failed: connect ECONNREFUSED', retryInMs: 0 },
      { message: 'listing things in namespace red failed: connect ECONNREFUSED', retryInMs: 5000 },
    ]);
    // The first retry was at once; the next waits for its delay on the clock.
    expect(h.listCalls()).toBe(2);
    await h.clock.advance(4999);
    expect(h.listCalls()).toBe(2);
    await h.clock.advance(1);
    const watch = await h.watch(1);
    expect(h.listCalls()).toBe(3);

    // A watch that ends at once without events is a failure too (no busy loop)...
    watch.done(null);
    await until(() => h.delays.failures === 3, 'the short watch counted as a failure');
    await h.clock.advance(5000);
    const second = await h.watch(2);
    // ...and one that delivered events is progress.
    second.event('MODIFIED', obj('a', '2'));
    second.done(null);
    await h.watch(3);
    expect(h.delays.failures).toBe(0);
    expect(h.delays.resets).toBe(1);
    h.stop.abort();
    await h.running;
  });

  test('a watch the server never ends is dropped after its timeout and grace, and resumed', async () => {
    const h = harness({ lists: [{ resourceVersion: '10', items: [] }] });
    const first = await h.watch(1);
    first.event('ADDED', obj('a', '11'));
    await h.clock.advance(60_000 + 4999);
    expect(first.aborted).toBe(false);
    await h.clock.advance(1);
    expect(first.aborted).toBe(true);
    const second = await h.watch(2);
    expect(second.query.resourceVersion).toBe('11');
    expect(h.listCalls()).toBe(1);
    h.stop.abort();
    await h.running;
  });

  test('abort stops a watch under way: it is aborted and run resolves', async () => {
    const h = harness({ lists: [{ resourceVersion: '10', items: [] }] });
    const watch = await h.watch(1);
    h.stop.abort();
    await h.running;
    expect(watch.aborted).toBe(true);
    // Late events from the aborted watch change nothing.
    watch.event('ADDED', obj('a', '11'));
    expect(h.changes).toEqual([]);
    expect(h.clock.pendingTimers).toBe(0);
  });

  test('abort stops a list under way and a wait between retries', async () => {
    const listing = harness({ lists: ['hang'] });
    await until(() => listing.listCalls() === 1, 'the list started');
    listing.stop.abort();
    await listing.running;
    expect(listing.failures).toEqual([]);

    const waiting = harness({ lists: [new Error('refused')], delays: [60_000] });
    await until(() => waiting.failures.length === 1, 'the list failed');
    expect(waiting.runEnded()).toBe(false);
    waiting.stop.abort();
    await waiting.running;
    expect(waiting.listCalls()).toBe(1);
    expect(waiting.clock.pendingTimers).toBe(0);
  });
});

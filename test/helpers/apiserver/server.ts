import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { KubeConfig } from '@kubernetes/client-node';

import { ApiError, statusOf } from './errors.js';
import { CONFIG_MAP, LEASE, type ResourceKind, apiVersionOf } from './kinds.js';
import { kubeConfigFor, writeKubeconfigFile } from './kubeconfig.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { ObjectStore, type StoredEvent } from './store.js';
import type { Json, KubeObject } from './types.js';
import { WatchStream } from './watch.js';

export interface TestApiServerOptions {
  /** The kinds served; default ConfigMap and Lease. Add a CRD's kind to serve it. */
  readonly kinds?: readonly ResourceKind[];
  /** How many changes a watch can be resumed across; older resourceVersions get 410 Gone. Default 1000. */
  readonly historySize?: number;
  /** The resourceVersion before the first write. Default 1000. */
  readonly startResourceVersion?: number;
  /** The bearer token every request must carry. Default: a random one. */
  readonly token?: string;
  /** Keep watches open past their `timeoutSeconds` (a proxy that loses the end), to test client watchdogs. */
  readonly ignoreWatchTimeouts?: boolean;
}

export type ApiVerb =
  'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'discovery' | 'unknown';

/** One request as the server saw it; a watch is recorded when its stream is set up. */
export interface ApiRequest {
  readonly method: string;
  readonly verb: ApiVerb;
  /** The plural, e.g. `configmaps`. */
  readonly resource?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
  readonly query: Readonly<Record<string, string>>;
  /** The HTTP status (200 for a watch that was opened, even when it then sent an ERROR event). */
  readonly status: number;
}

export interface TestApiServer {
  /** `http://127.0.0.1:<port>`; the port stays the same across `stop`/`start`. */
  readonly url: string;
  readonly port: number;
  readonly token: string;
  /** The objects; writes here notify watches like writes over HTTP. Replaced by a state-dropping restart. */
  readonly store: ObjectStore;
  /** Every request so far, in order (kept across restarts). */
  readonly requests: readonly ApiRequest[];
  /** A client configuration for this server (current context namespace `namespace`). */
  kubeConfig(namespace?: string): KubeConfig;
  writeKubeconfig(path: string, namespace?: string): Promise<void>;
  countRequests(filter: Partial<Pick<ApiRequest, 'verb' | 'resource' | 'namespace' | 'name'>>): number;
  /** Resolves with the first request from index `since` (default: from now on) that matches. */
  waitForRequest(predicate: (request: ApiRequest) => boolean, since?: number): Promise<ApiRequest>;
  /** How many watch streams are open. */
  openWatches(): number;
  /** Ends every open watch cleanly, as the API server does when a watch times out; returns how many. */
  closeAllWatches(): number;
  /**
   * The next `count` watch requests fail with 410 Gone: as an ERROR event in a 200 stream (what the
   * API server sends for an expired resourceVersion) or as an HTTP 410 response.
   */
  failNextWatches(count?: number, as?: 'event' | 'status'): void;
  /** Forgets the change history: a watch from any earlier resourceVersion gets 410 Gone. */
  compactHistory(): void;
  /** Sends a BOOKMARK with the current resourceVersion to every watch that allowed bookmarks. */
  sendBookmarks(): void;
  /** Stops listening and drops every connection abruptly, open watches included (a crash). */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  /**
   * `stop` then `start`. Dropping the state empties the store and its history, and moves the
   * resourceVersion on, so every earlier resourceVersion is expired (as after restoring etcd).
   */
  restart(options?: { keepState?: boolean }): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

/** A loopback Kubernetes API server for tests: enough of the REST and watch protocol for client-node. */
export async function startTestApiServer(options: TestApiServerOptions = {}): Promise<TestApiServer> {
  const server = new TestApiServerImpl(options);
  await server.start();
  return server;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

interface Route {
  readonly kind: ResourceKind;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

class TestApiServerImpl implements TestApiServer {
  readonly token: string;
  private readonly kinds: readonly ResourceKind[];
  private readonly historySize: number;
  private readonly ignoreWatchTimeouts: boolean;
  private currentStore: ObjectStore;
  private unsubscribe: () => void;
  private server: Server | undefined;
  private boundPort = 0;
  private readonly watches = new Set<WatchStream>();
  private readonly pendingWatchFailures: ('event' | 'status')[] = [];
  private readonly log: ApiRequest[] = [];
  private readonly requestWaiters = new Set<() => void>();

  constructor(options: TestApiServerOptions) {
    this.kinds = options.kinds ?? [CONFIG_MAP, LEASE];
    this.historySize = options.historySize ?? 1000;
    this.ignoreWatchTimeouts = options.ignoreWatchTimeouts ?? false;
    this.token = options.token ?? randomBytes(16).toString('hex');
    this.currentStore = new ObjectStore(this.historySize, options.startResourceVersion ?? 1000);
    this.unsubscribe = this.currentStore.subscribe((event) => this.fanOut(event));
  }

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `http://127.0.0.1:${this.boundPort}`;
  }

  get store(): ObjectStore {
    return this.currentStore;
  }

  get requests(): readonly ApiRequest[] {
    return this.log;
  }

  kubeConfig(namespace = 'default'): KubeConfig {
    return kubeConfigFor(this.url, this.token, namespace);
  }

  writeKubeconfig(path: string, namespace = 'default'): Promise<void> {
    return writeKubeconfigFile(path, this.url, this.token, namespace);
  }

  countRequests(filter: Partial<Pick<ApiRequest, 'verb' | 'resource' | 'namespace' | 'name'>>): number {
    return this.log.filter((request) =>
      Object.entries(filter).every(([key, value]) => request[key as keyof ApiRequest] === value),
    ).length;
  }

  async waitForRequest(
    predicate: (request: ApiRequest) => boolean,
    since = this.log.length,
  ): Promise<ApiRequest> {
    let index = since;
    for (;;) {
      for (; index < this.log.length; index++) if (predicate(this.log[index]!)) return this.log[index]!;
      await new Promise<void>((resolve) => this.requestWaiters.add(resolve));
    }
  }

  openWatches(): number {
    return [...this.watches].filter((watch) => watch.open).length;
  }

  closeAllWatches(): number {
    const open = [...this.watches];
    for (const watch of open) watch.end();
    return open.length;
  }

  failNextWatches(count = 1, as: 'event' | 'status' = 'event'): void {
    for (let index = 0; index < count; index++) this.pendingWatchFailures.push(as);
  }

  compactHistory(): void {
    this.currentStore.compact();
  }

  sendBookmarks(): void {
    for (const watch of this.watches)
      watch.bookmark(this.currentStore.resourceVersion, apiVersionOf(watch.filter.kind));
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = createServer((request, response) => void this.handle(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.boundPort, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.boundPort = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const watch of this.watches) watch.abort();
    this.watches.clear();
    server.closeAllConnections();
    await closed;
  }

  async restart(options: { keepState?: boolean } = {}): Promise<void> {
    await this.stop();
    if (options.keepState === false) {
      this.unsubscribe();
      this.currentStore = new ObjectStore(this.historySize, this.currentStore.resourceVersion + 1);
      this.unsubscribe = this.currentStore.subscribe((event) => this.fanOut(event));
    }
    await this.start();
  }

  close(): Promise<void> {
    return this.stop();
  }

  private fanOut(event: StoredEvent): void {
    for (const watch of this.watches) watch.deliver(event);
  }

  private record(
    request: IncomingMessage,
    url: URL,
    route: Route | undefined,
    verb: ApiVerb,
    status: number,
  ): void {
    this.log.push({
      method: request.method ?? '',
      verb,
      ...(route ? { resource: route.kind.plural } : {}),
      ...(route?.namespace !== undefined ? { namespace: route.namespace } : {}),
      ...(route?.name !== undefined ? { name: route.name } : {}),
      ...(route?.subresource !== undefined ? { subresource: route.subresource } : {}),
      query: Object.fromEntries(url.searchParams),
      status,
    });
    const waiters = [...this.requestWaiters];
    this.requestWaiters.clear();
    for (const wake of waiters) wake();
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    let route: Route | undefined;
    let verb: ApiVerb = 'unknown';
    try {
      if (request.headers.authorization !== `Bearer ${this.token}`) {
        throw new ApiError(401, 'Unauthorized', 'Unauthorized');
      }
      const discovery = this.discovery(url.pathname);
      if (discovery !== undefined) {
        verb = 'discovery';
        if (request.method !== 'GET')
          throw new ApiError(405, 'MethodNotAllowed', `${request.method} is not allowed on ${url.pathname}`);
        this.respond(response, 200, discovery);
        this.record(request, url, undefined, verb, 200);
        return;
      }
      route = this.route(url.pathname);
      verb = verbOf(request.method ?? '', route, url);
      if (url.searchParams.has('dryRun'))
        throw new ApiError(400, 'BadRequest', 'dryRun is not supported by the test API server');
      if (verb === 'watch') {
        this.openWatch(response, route, url);
        this.record(request, url, route, verb, 200);
        return;
      }
      const [status, body] = await this.serve(request, route, verb, url);
      this.respond(response, status, body);
      this.record(request, url, route, verb, status);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
      if (!response.headersSent) this.respond(response, failure.code, failure.toStatus());
      else response.destroy();
      this.record(request, url, route, verb, failure.code);
    }
  }

  private async serve(
    request: IncomingMessage,
    route: Route,
    verb: ApiVerb,
    url: URL,
  ): Promise<[number, unknown]> {
    const { kind, namespace, name, subresource } = route;
    const store = this.currentStore;
    switch (verb) {
      case 'get':
        return [200, store.get(kind, namespace, name!)];
      case 'list': {
        const selector = selectorOf(url);
        const items = store.list(kind, namespace, selector);
        const list = {
          apiVersion: apiVersionOf(kind),
          kind: `${kind.kind}List`,
          metadata: { resourceVersion: String(store.resourceVersion) },
          items,
        };
        return [200, list];
      }
      case 'create':
        return [201, store.create(kind, namespace, await readJson(request))];
      case 'update':
        return [200, store.update(kind, namespace, name!, await readJson(request), subresource)];
      case 'patch': {
        const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
        return [200, store.patch(kind, namespace, name!, await readJson(request), contentType, subresource)];
      }
      case 'delete': {
        const options = await readJson(request, true);
        const precondition = (options as { preconditions?: { resourceVersion?: unknown } } | undefined)
          ?.preconditions?.resourceVersion;
        const deleted = store.delete(
          kind,
          namespace,
          name!,
          typeof precondition === 'string' ? precondition : undefined,
        );
        return [
          200,
          {
            ...statusOf(200, '', ''),
            details: { name, kind: kind.plural, group: kind.group, uid: deleted.metadata.uid },
          },
        ];
      }
      default:
        throw new ApiError(405, 'MethodNotAllowed', `${request.method} is not supported on ${url.pathname}`);
    }
  }

  private openWatch(response: ServerResponse, route: Route, url: URL): void {
    const selector = selectorOf(url);
    const forced = this.pendingWatchFailures.shift();
    const param = url.searchParams.get('resourceVersion') ?? '';
    if (forced === 'status') throw new ApiError(410, 'Expired', `too old resource version: ${param}`);
    const from = param === '' || param === '0' ? undefined : Number(param);
    if (from !== undefined && !Number.isSafeInteger(from)) {
      throw new ApiError(400, 'BadRequest', `resourceVersion "${param}" is not a valid resource version`);
    }
    const store = this.currentStore;
    const watch = new WatchStream(
      response,
      {
        kind: route.kind,
        namespace: route.namespace,
        selector,
        bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true',
      },
      () => {
        this.watches.delete(watch);
        clearTimeout(timer);
      },
    );
    const timeoutSeconds = Number(url.searchParams.get('timeoutSeconds') ?? '0');
    const timer =
      timeoutSeconds > 0 && !this.ignoreWatchTimeouts
        ? setTimeout(() => watch.end(), timeoutSeconds * 1000)
        : undefined;
    timer?.unref();
    if (forced === 'event') {
      watch.send(
        'ERROR',
        statusOf(410, 'Expired', `too old resource version: ${param} (${store.resourceVersion})`),
      );
      watch.end();
      return;
    }
    if (from === undefined) {
      // "Get state and start at most recent": the current objects as ADDED, then the changes.
      for (const object of store.list(route.kind, route.namespace, selector)) watch.send('ADDED', object);
    } else {
      const history = store.historyFrom(from);
      if (history.kind === 'expired') {
        watch.send(
          'ERROR',
          statusOf(410, 'Expired', `too old resource version: ${from} (${history.oldest})`),
        );
        watch.end();
        return;
      }
      if (history.kind === 'too-new') {
        watch.send(
          'ERROR',
          statusOf(504, 'Timeout', `Too large resource version: ${from}, current: ${history.current}`),
        );
        watch.end();
        return;
      }
      for (const event of history.events) watch.deliver(event);
    }
    // Replay and subscription happen in the same tick: no change can fall between them.
    this.watches.add(watch);
  }

  private route(pathname: string): Route {
    const notFound = (): ApiError =>
      new ApiError(404, 'NotFound', `the server could not find the requested resource (${pathname})`);
    const segments = pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let rest: string[];
    if (segments[0] === 'api' && segments[1] === 'v1') {
      group = '';
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments.length >= 3) {
      group = segments[1]!;
      rest = segments.slice(3);
    } else {
      throw notFound();
    }
    const version = group === '' ? 'v1' : segments[2]!;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const [plural, name, subresource, ...extra] = rest;
    const kind = this.kinds.find(
      (candidate) =>
        candidate.group === group && candidate.version === version && candidate.plural === plural,
    );
    if (!kind || extra.length > 0) throw notFound();
    if (kind.namespaced ? namespace === undefined && name !== undefined : namespace !== undefined)
      throw notFound();
    if (subresource !== undefined && !(subresource === 'status' && kind.statusSubresource)) throw notFound();
    return { kind, namespace, name, subresource };
  }

  private discovery(pathname: string): Json | undefined {
    const segments = pathname.split('/').filter(Boolean);
    if (segments.length === 1 && segments[0] === 'version') {
      return { major: '1', minor: '31', gitVersion: 'v1.31.0-meridio-test', platform: 'linux/amd64' };
    }
    if (segments.length === 1 && segments[0] === 'api') {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }],
      };
    }
    const groups = [
      ...new Set(
        this.kinds.filter((kind) => kind.group !== '').map((kind) => `${kind.group}/${kind.version}`),
      ),
    ];
    const groupOf = (name: string): Json => {
      const versions = groups
        .filter((groupVersion) => groupVersion.startsWith(`${name}/`))
        .map((groupVersion) => ({ groupVersion, version: groupVersion.split('/')[1]! }));
      return { name, versions, preferredVersion: versions[0]! };
    };
    if (segments.length === 1 && segments[0] === 'apis') {
      return {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [...new Set(groups.map((groupVersion) => groupVersion.split('/')[0]!))].map(groupOf),
      };
    }
    if (
      segments.length === 2 &&
      segments[0] === 'apis' &&
      groups.some((groupVersion) => groupVersion.startsWith(`${segments[1]}/`))
    ) {
      return { kind: 'APIGroup', apiVersion: 'v1', ...(groupOf(segments[1]!) as { [key: string]: Json }) };
    }
    const groupVersion =
      segments[0] === 'api' && segments.length === 2
        ? segments[1]
        : segments[0] === 'apis' && segments.length === 3
          ? `${segments[1]}/${segments[2]}`
          : undefined;
    if (groupVersion === undefined) return undefined;
    const kinds = this.kinds.filter((kind) => apiVersionOf(kind) === groupVersion);
    if (kinds.length === 0) return undefined;
    const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
    const resources = kinds.flatMap((kind): Json[] => [
      {
        name: kind.plural,
        singularName: kind.kind.toLowerCase(),
        namespaced: kind.namespaced,
        kind: kind.kind,
        verbs,
      },
      ...(kind.statusSubresource
        ? [
            {
              name: `${kind.plural}/status`,
              singularName: '',
              namespaced: kind.namespaced,
              kind: kind.kind,
              verbs: ['get', 'patch', 'update'],
            },
          ]
        : []),
    ]);
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources };
  }

  private respond(response: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    response.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
    });
    response.end(text);
  }
}

function verbOf(method: string, route: Route, url: URL): ApiVerb {
  const named = route.name !== undefined;
  if (method === 'GET') {
    if (named) return 'get';
    const watch = url.searchParams.get('watch');
    return watch === 'true' || watch === '1' ? 'watch' : 'list';
  }
  if (method === 'POST' && !named) return 'create';
  if (method === 'PUT' && named) return 'update';
  if (method === 'PATCH' && named) return 'patch';
  if (method === 'DELETE' && named) return 'delete';
  throw new ApiError(405, 'MethodNotAllowed', `${method} is not supported on ${url.pathname}`);
}

function selectorOf(url: URL): (object: KubeObject) => boolean {
  const byField = parseFieldSelector(url.searchParams.get('fieldSelector'));
  const byLabel = parseLabelSelector(url.searchParams.get('labelSelector'));
  return (object) => byField(object) && byLabel(object);
}

async function readJson(request: IncomingMessage, optional = false): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new ApiError(413, 'RequestEntityTooLarge', 'the request body is too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') {
    if (optional) return undefined;
    throw new ApiError(400, 'BadRequest', 'the request has no body');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, 'BadRequest', `the request body is not JSON: ${String(error)}`);
  }
}

import { randomBytes, randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';

import { ApiError } from './errors.js';
import { type ResourceKind, apiVersionOf, qualifiedPlural } from './kinds.js';
import { applyPatch, isObject } from './patch.js';
import type { Selector } from './selectors.js';
import type { EventType, Json, KubeObject } from './types.js';

/** A change, kept in the history so that a watch can start from any recent resourceVersion. */
export interface StoredEvent {
  readonly resourceVersion: number;
  readonly kind: ResourceKind;
  readonly type: EventType;
  readonly object: KubeObject;
  /** The object before a MODIFIED, so a watch with a selector can tell "started/stopped matching". */
  readonly previous?: KubeObject;
}

export type HistoryFrom =
  | { readonly kind: 'events'; readonly events: readonly StoredEvent[] }
  | { readonly kind: 'expired'; readonly oldest: number }
  | { readonly kind: 'too-new'; readonly current: number };

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/**
 * Objects of every kind with one resourceVersion counter, as etcd gives the API server: every
 * write takes the next number, and the last `historySize` changes can be replayed to a watch.
 * Objects are copied in and out, so no caller can change what is stored.
 */
export class ObjectStore {
  private revision: number;
  /** A watch may start from this resourceVersion or later; older ones are compacted away. */
  private oldestWatchable: number;
  private readonly objects = new Map<ResourceKind, Map<string, KubeObject>>();
  private readonly history: StoredEvent[] = [];
  private readonly listeners = new Set<(event: StoredEvent) => void>();

  constructor(
    private readonly historySize: number,
    startRevision: number,
  ) {
    this.revision = startRevision;
    this.oldestWatchable = startRevision;
  }

  get resourceVersion(): number {
    return this.revision;
  }

  get(kind: ResourceKind, namespace: string | undefined, name: string): KubeObject {
    return structuredClone(this.existing(kind, namespace, name));
  }

  list(kind: ResourceKind, namespace: string | undefined, selector: Selector): KubeObject[] {
    const items = [...(this.objects.get(kind)?.values() ?? [])]
      .filter((object) => namespace === undefined || object.metadata.namespace === namespace)
      .filter(selector);
    items.sort((a, b) =>
      keyOf(a.metadata.namespace, a.metadata.name!).localeCompare(
        keyOf(b.metadata.namespace, b.metadata.name!),
      ),
    );
    return items.map((object) => structuredClone(object));
  }

  create(kind: ResourceKind, namespace: string | undefined, body: unknown): KubeObject {
    const object = this.checkedBody(kind, namespace, body);
    if (object.metadata.resourceVersion) {
      throw new ApiError(400, 'BadRequest', 'resourceVersion should not be set on objects to be created');
    }
    if (!object.metadata.name && object.metadata.generateName) {
      object.metadata.name = `${object.metadata.generateName}${randomBytes(3).toString('hex').slice(0, 5)}`;
    }
    const name = this.checkedName(kind, object.metadata.name);
    if (this.objects.get(kind)?.has(keyOf(namespace, name))) {
      throw new ApiError(409, 'AlreadyExists', `${qualifiedPlural(kind)} "${name}" already exists`, {
        name,
        kind: kind.plural,
        group: kind.group,
      });
    }
    if (kind.statusSubresource) delete object.status;
    object.metadata = {
      ...object.metadata,
      name,
      ...(kind.namespaced ? { namespace } : {}),
      uid: randomUUID(),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      generation: 1,
    };
    return this.commit(kind, 'ADDED', object);
  }

  /** PUT of the object (or of its `/status`): optimistic concurrency on `metadata.resourceVersion`. */
  update(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    body: unknown,
    subresource?: string,
  ): KubeObject {
    const existing = this.existing(kind, namespace, name);
    const object = this.checkedBody(kind, namespace, body);
    if (object.metadata.name !== name) {
      throw new ApiError(
        400,
        'BadRequest',
        `the name of the object (${String(object.metadata.name)}) does not match the name on the URL (${name})`,
      );
    }
    const precondition = object.metadata.resourceVersion;
    if (precondition !== undefined && precondition !== existing.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedPlural(kind)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        { name, kind: kind.plural, group: kind.group },
      );
    }
    let next: KubeObject;
    if (subresource === 'status') {
      next = structuredClone(existing);
      if (object.status === undefined) delete next.status;
      else next.status = object.status;
    } else {
      next = object;
      if (kind.statusSubresource) {
        if (existing.status === undefined) delete next.status;
        else next.status = structuredClone(existing.status);
      }
    }
    // Server-owned metadata cannot be changed by a client.
    next.metadata = {
      ...next.metadata,
      name,
      namespace: existing.metadata.namespace,
      uid: existing.metadata.uid,
      creationTimestamp: existing.metadata.creationTimestamp,
      resourceVersion: existing.metadata.resourceVersion,
      generation: existing.metadata.generation,
    };
    if (!kind.namespaced) delete next.metadata.namespace;
    // A write that changes nothing changes no resourceVersion and notifies no watch.
    if (isDeepStrictEqual(next, existing)) return structuredClone(existing);
    if (!isDeepStrictEqual(withoutMetaAndStatus(next), withoutMetaAndStatus(existing))) {
      next.metadata.generation = (existing.metadata.generation ?? 0) + 1;
    }
    return this.commit(kind, 'MODIFIED', next, existing);
  }

  patch(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    contentType: string,
    subresource?: string,
  ): KubeObject {
    const existing = this.existing(kind, namespace, name);
    const patched = applyPatch(structuredClone(existing) as unknown as Json, patch as Json, contentType);
    return this.update(kind, namespace, name, patched, subresource);
  }

  delete(
    kind: ResourceKind,
    namespace: string | undefined,
    name: string,
    preconditionVersion?: string,
  ): KubeObject {
    const existing = this.existing(kind, namespace, name);
    if (preconditionVersion !== undefined && preconditionVersion !== existing.metadata.resourceVersion) {
      throw new ApiError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedPlural(kind)} "${name}": the ResourceVersion in the precondition (${preconditionVersion}) does not match the ResourceVersion in record (${existing.metadata.resourceVersion})`,
      );
    }
    return this.commit(kind, 'DELETED', structuredClone(existing), existing);
  }

  /** The changes after `resourceVersion`, or why a watch cannot start there. */
  historyFrom(resourceVersion: number): HistoryFrom {
    if (resourceVersion < this.oldestWatchable) return { kind: 'expired', oldest: this.oldestWatchable };
    if (resourceVersion > this.revision) return { kind: 'too-new', current: this.revision };
    return {
      kind: 'events',
      events: this.history.filter((event) => event.resourceVersion > resourceVersion),
    };
  }

  /** Forgets the history: a watch from any earlier resourceVersion gets 410 Gone. */
  compact(): void {
    this.history.length = 0;
    this.oldestWatchable = this.revision;
  }

  subscribe(listener: (event: StoredEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private commit(kind: ResourceKind, type: EventType, object: KubeObject, previous?: KubeObject): KubeObject {
    this.revision++;
    object.metadata.resourceVersion = String(this.revision);
    let byName = this.objects.get(kind);
    if (!byName) this.objects.set(kind, (byName = new Map()));
    const key = keyOf(object.metadata.namespace, object.metadata.name!);
    if (type === 'DELETED') byName.delete(key);
    else byName.set(key, object);
    const event: StoredEvent = {
      resourceVersion: this.revision,
      kind,
      type,
      object: structuredClone(object),
      ...(previous ? { previous: structuredClone(previous) } : {}),
    };
    this.history.push(event);
    while (this.history.length > this.historySize)
      this.oldestWatchable = this.history.shift()!.resourceVersion;
    for (const listener of [...this.listeners]) listener(event);
    return structuredClone(object);
  }

  private existing(kind: ResourceKind, namespace: string | undefined, name: string): KubeObject {
    const object = this.objects.get(kind)?.get(keyOf(namespace, name));
    if (!object) {
      throw new ApiError(404, 'NotFound', `${qualifiedPlural(kind)} "${name}" not found`, {
        name,
        kind: kind.plural,
        group: kind.group,
      });
    }
    return object;
  }

  private checkedBody(kind: ResourceKind, namespace: string | undefined, body: unknown): KubeObject {
    if (!isObject(body) || !isObject(body.metadata)) {
      throw new ApiError(400, 'BadRequest', `the body is not a ${kind.kind} object with metadata`);
    }
    const object = structuredClone(body) as unknown as KubeObject;
    const apiVersion = apiVersionOf(kind);
    if ((object.apiVersion ?? apiVersion) !== apiVersion || (object.kind ?? kind.kind) !== kind.kind) {
      throw new ApiError(
        400,
        'BadRequest',
        `the object is a ${String(object.apiVersion)} ${String(object.kind)}, not a ${apiVersion} ${kind.kind}`,
      );
    }
    object.apiVersion = apiVersion;
    object.kind = kind.kind;
    if (
      kind.namespaced &&
      object.metadata.namespace !== undefined &&
      object.metadata.namespace !== namespace
    ) {
      throw new ApiError(
        400,
        'BadRequest',
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    return object;
  }

  private checkedName(kind: ResourceKind, name: string | undefined): string {
    if (!name)
      throw new ApiError(
        422,
        'Invalid',
        `${kind.kind} "" is invalid: metadata.name: Required value: name or generateName is required`,
      );
    if (!NAME.test(name)) {
      throw new ApiError(
        422,
        'Invalid',
        `${kind.kind} "${name}" is invalid: metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'`,
      );
    }
    return name;
  }
}

function keyOf(namespace: string | undefined, name: string): string {
  return `${namespace ?? ''}/${name}`;
}

function withoutMetaAndStatus(object: KubeObject): Record<string, unknown> {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/** A resource the test API server serves; add one per kind a test needs (CRDs included). */
export interface ResourceKind {
  /** API group, '' for the core group (`/api/v1`). */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  /** The path segment, e.g. `configmaps`. */
  readonly plural: string;
  readonly namespaced: boolean;
  /**
   * Has a `/status` subresource: updates of the object keep its status, updates of `/status`
   * change only the status (as for a CRD with `subresources.status`).
   */
  readonly statusSubresource?: boolean;
}

export const CONFIG_MAP: ResourceKind = Object.freeze({
  group: '',
  version: 'v1',
  kind: 'ConfigMap',
  plural: 'configmaps',
  namespaced: true,
});

export const LEASE: ResourceKind = Object.freeze({
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
});

export function apiVersionOf(kind: ResourceKind): string {
  return kind.group === '' ? kind.version : `${kind.group}/${kind.version}`;
}

/** `plural` for the core group, `plural.group` otherwise, as Kubernetes names resources in messages. */
export function qualifiedPlural(kind: ResourceKind): string {
  return kind.group === '' ? kind.plural : `${kind.plural}.${kind.group}`;
}

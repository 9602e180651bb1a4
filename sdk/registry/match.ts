/**
 * The matching rules of NSM's `matchutils` (networkservicemesh/sdk pkg/tools/matchutils), shared by the
 * registry server and its clients so both agree on what a query or a request selects.
 */
import { isDeepStrictEqual } from 'node:util';

import { timestampToMs } from '../core/index.js';
import { resolveLabelTemplate } from './label-template.js';
import {
  endpointLabelsFor,
  type Labels,
  type NetworkService,
  type NetworkServiceEndpoint,
  type NetworkServiceEndpointInit,
  type NetworkServiceInit,
  newNetworkService,
  newNetworkServiceEndpoint,
} from './types.js';

/**
 * Whether `endpoint` satisfies `query`: every non-empty field of the query must match. The name is
 * compared exactly, `network_service_names` must be a subset, `network_service_labels` a subset per
 * service (the service must be present), `url` a substring (as upstream), `expiration_time` the same
 * second. Empty repeated and map fields mean "any", since the wire cannot tell empty from absent.
 */
export function matchEndpoint(query: NetworkServiceEndpointInit, endpoint: NetworkServiceEndpoint): boolean {
  const q = newNetworkServiceEndpoint(query);
  if (q.name !== '' && q.name !== endpoint.name) return false;
  if (!q.network_service_names.every((name) => endpoint.network_service_names.includes(name))) return false;
  for (const [service, { labels }] of Object.entries(q.network_service_labels)) {
    const declared = endpoint.network_service_labels[service];
    if (!declared) return false;
    if (!Object.entries(labels).every(([key, value]) => declared.labels[key] === value)) return false;
  }
  if (q.url !== '' && !endpoint.url.includes(q.url)) return false;
  if (q.expiration_time) {
    const wanted = Math.floor((timestampToMs(q.expiration_time) ?? 0) / 1000);
    const actual = Math.floor((timestampToMs(endpoint.expiration_time) ?? Number.NaN) / 1000);
    if (wanted !== actual) return false;
  }
  return true;
}

/** Whether `service` satisfies `query`: exact name, equal payload, and equal matches when the query lists some. */
export function matchService(query: NetworkServiceInit, service: NetworkService): boolean {
  const q = newNetworkService(query);
  if (q.name !== '' && q.name !== service.name) return false;
  if (q.payload !== '' && q.payload !== service.payload) return false;
  if (q.matches.length > 0 && !isDeepStrictEqual(q.matches, service.matches)) return false;
  return true;
}

/**
 * Whether every entry of `selector` is in `labels`. A selector value that differs literally is tried
 * again as a template over `values` (the request's labels), as NSM's `IsSubset` does.
 */
export function isLabelSubset(labels: Labels, selector: Labels, values: Labels): boolean {
  return Object.entries(selector).every(([key, value]) => {
    if (!Object.hasOwn(labels, key)) return false;
    if (labels[key] === value) return true;
    const resolved = resolveLabelTemplate(value, values);
    return resolved !== undefined && labels[key] === resolved;
  });
}

/**
 * The endpoints (already serving `service`) that a request with `requestLabels` may be connected to,
 * by NSM's `MatchEndpoint`: with no `matches`, all of them. Otherwise the first match whose
 * `source_selector` is a subset of the request's labels decides: the endpoints whose labels for this
 * service satisfy one of its routes' `destination_selector`. A `fallthrough` match that selects nobody
 * passes on to the next match; a match with metadata and no routes selects everybody. When no match
 * applies, nobody is selected.
 */
export function selectEndpointsByLabels(
  service: NetworkService,
  requestLabels: Labels,
  endpoints: readonly NetworkServiceEndpoint[],
): NetworkServiceEndpoint[] {
  if (service.matches.length === 0) return [...endpoints];
  for (const match of service.matches) {
    if (!isLabelSubset(requestLabels, match.source_selector, requestLabels)) continue;
    const selected = endpoints.filter((endpoint) =>
      match.routes.some((route) =>
        isLabelSubset(endpointLabelsFor(endpoint, service.name), route.destination_selector, requestLabels),
      ),
    );
    if (match.fallthrough && selected.length === 0) continue;
    if (match.metadata !== null && match.routes.length === 0 && selected.length === 0) return [...endpoints];
    return selected;
  }
  return [];
}

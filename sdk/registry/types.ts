/**
 * The NSM registry wire types as the SDK sees them: the decoded ("__Output") shapes of
 * proto/registry/registry.proto (every scalar, map and repeated field present; messages may be null),
 * plus constructors that complete a partial object and the event shape of a watch.
 */
import type { NetworkServiceEndpoint__Output } from '../../proto/gen/registry/NetworkServiceEndpoint.js';
import type { NetworkService__Output } from '../../proto/gen/registry/NetworkService.js';
import type { Match__Output } from '../../proto/gen/registry/Match.js';
import type { Destination__Output } from '../../proto/gen/registry/Destination.js';
import type { NetworkServiceLabels__Output } from '../../proto/gen/registry/NetworkServiceLabels.js';
import type { Timestamp__Output } from '../../proto/gen/google/protobuf/Timestamp.js';

export type NetworkServiceEndpoint = NetworkServiceEndpoint__Output;
export type NetworkService = NetworkService__Output;
export type Match = Match__Output;
export type Destination = Destination__Output;
export type NetworkServiceLabels = NetworkServiceLabels__Output;
export type Timestamp = Timestamp__Output;
export type Labels = Record<string, string>;

/** A network service endpoint as a caller writes it: any field may be left out. */
export type NetworkServiceEndpointInit = Partial<NetworkServiceEndpoint>;

export type MatchInit = Partial<Omit<Match, 'routes'>> & { routes?: Partial<Destination>[] };

/** A network service as a caller writes it: any field may be left out. */
export type NetworkServiceInit = Partial<Omit<NetworkService, 'matches'>> & { matches?: MatchInit[] };

/** One change seen by a watch: the item as it is now, or as it was when `deleted` is true. */
export interface RegistryEvent<T> {
  readonly item: T;
  readonly deleted: boolean;
}

export type EndpointEvent = RegistryEvent<NetworkServiceEndpoint>;
export type ServiceEvent = RegistryEvent<NetworkService>;

export function newNetworkServiceEndpoint(init: NetworkServiceEndpointInit = {}): NetworkServiceEndpoint {
  return {
    name: init.name ?? '',
    network_service_names: [...(init.network_service_names ?? [])],
    network_service_labels: Object.fromEntries(
      Object.entries(init.network_service_labels ?? {}).map(([service, value]) => [
        service,
        { labels: { ...(value?.labels ?? {}) } },
      ]),
    ),
    url: init.url ?? '',
    expiration_time: init.expiration_time ? { ...init.expiration_time } : null,
    initial_registration_time: init.initial_registration_time ? { ...init.initial_registration_time } : null,
    path_ids: [...(init.path_ids ?? [])],
  };
}

export function newMatch(init: MatchInit = {}): Match {
  return {
    source_selector: { ...(init.source_selector ?? {}) },
    routes: (init.routes ?? []).map((route) => ({
      destination_selector: { ...(route.destination_selector ?? {}) },
      weight: route.weight ?? 0,
    })),
    fallthrough: init.fallthrough ?? false,
    metadata: init.metadata ? { labels: { ...(init.metadata.labels ?? {}) } } : null,
  };
}

export function newNetworkService(init: NetworkServiceInit = {}): NetworkService {
  return {
    name: init.name ?? '',
    payload: init.payload ?? '',
    matches: (init.matches ?? []).map((match) => newMatch(match)),
    path_ids: [...(init.path_ids ?? [])],
  };
}

/** The labels an endpoint declares for one of its network services (empty when it declares none). */
export function endpointLabelsFor(endpoint: NetworkServiceEndpoint, serviceName: string): Labels {
  return endpoint.network_service_labels[serviceName]?.labels ?? {};
}

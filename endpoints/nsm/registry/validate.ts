/**
 * Checks on what clients send. Every refusal is an InvalidArgumentError whose message is one sentence
 * naming the object and saying what to change.
 */
import { InvalidArgumentError } from '../../../sdk/core/index.js';
import type { NetworkService, NetworkServiceEndpoint } from '../../../sdk/registry/index.js';

/**
 * The endpoint must be named: the registry keys endpoints by name and never invents one, because a
 * name made up by the server turns a retried registration whose reply was lost into a second endpoint
 * (NSM's sdk#714 ended the same way, with clients choosing the names).
 */
export function validateEndpoint(endpoint: NetworkServiceEndpoint): void {
  if (endpoint.name.trim() === '') {
    throw new InvalidArgumentError(
      'a network service endpoint must have a name: the registry keys endpoints by name, so choose one (for example endpoint-<uuid>) and keep it across re-registrations',
    );
  }
  const subject = `network service endpoint "${endpoint.name}"`;
  if (endpoint.url.trim() === '') {
    throw new InvalidArgumentError(
      `${subject} has no url: give the address it serves on, e.g. unix:///run/nse.sock`,
    );
  }
  if (endpoint.network_service_names.length === 0) {
    throw new InvalidArgumentError(
      `${subject} serves no network service: list at least one in network_service_names`,
    );
  }
  if (endpoint.network_service_names.some((name) => name.trim() === '')) {
    throw new InvalidArgumentError(`${subject} has an empty entry in network_service_names`);
  }
}

export function validateEndpointName(name: string, operation: string): void {
  if (name.trim() === '') {
    throw new InvalidArgumentError(`${operation} needs the name of the network service endpoint`);
  }
}

export function validateService(service: NetworkService): void {
  if (service.name.trim() === '') {
    throw new InvalidArgumentError('a network service must have a name');
  }
}

export function validateServiceName(name: string, operation: string): void {
  if (name.trim() === '') {
    throw new InvalidArgumentError(`${operation} needs the name of the network service`);
  }
}

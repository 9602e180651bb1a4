import { type Connection, InvalidArgumentError, type NetworkServiceRequest } from '../core/index.js';

/** Rejects a Request the chain could not work on, with a sentence that says what to send instead. */
export function validateRequest(
  request: NetworkServiceRequest,
): asserts request is NetworkServiceRequest & { connection: Connection } {
  if (!request.connection) {
    throw new InvalidArgumentError(
      'the request has no connection: a NetworkServiceRequest must carry the connection to establish or refresh',
    );
  }
  if (!request.connection.network_service) {
    throw new InvalidArgumentError(
      "the request's connection has no network_service: set connection.network_service to the service to connect to",
    );
  }
}

/** Rejects a Close that does not say which connection to close. */
export function validateClose(connection: Connection): void {
  if (!connection.id) {
    throw new InvalidArgumentError(
      'the connection to close has no id: Close needs the connection (with its id) that Request returned',
    );
  }
}

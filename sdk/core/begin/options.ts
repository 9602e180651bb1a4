import type { NetworkServiceRequest } from '../types.js';
import { State } from '../types.js';

/** Changes a client's request before it is sent again on a reselect event. */
export type ReselectFunction = (request: NetworkServiceRequest) => void;

/** The NSM default: forget the mechanism and the endpoint so the path is chosen again. */
export const defaultReselect: ReselectFunction = (request) => {
  const connection = request.connection;
  if (connection === null) return;
  connection.mechanism = null;
  connection.network_service_endpoint_name = '';
  connection.state = State.RESELECT_REQUESTED;
};

export interface BeginOptions {
  /** The chain's lifetime: once it aborts, events are skipped and running events are cancelled. */
  readonly signal?: AbortSignal;
  /** The time budget of one event (a refresh, an expiry close), in milliseconds. Default 15 s. */
  readonly eventTimeoutMs?: number;
}

export interface BeginClientOptions extends BeginOptions {
  /** Applied to the request of a reselect event after the old connection was closed. */
  readonly reselect?: ReselectFunction;
}

export const DEFAULT_EVENT_TIMEOUT_MS = 15_000;

/**
 * The NSM wire types as the SDK sees them: the decoded ("__Output") shapes generated from proto/ by
 * proto-loader-gen-types (keepCase, defaults, longs and enums as strings). Every scalar, map and
 * repeated field is present; message fields may be null.
 */
export type { Connection__Output as Connection } from '../../proto/gen/connection/Connection.js';
export type { Mechanism__Output as Mechanism } from '../../proto/gen/connection/Mechanism.js';
export type { Path__Output as Path } from '../../proto/gen/connection/Path.js';
export type { PathSegment__Output as PathSegment } from '../../proto/gen/connection/PathSegment.js';
export type { ConnectionEvent__Output as ConnectionEvent } from '../../proto/gen/connection/ConnectionEvent.js';
export type { MonitorScopeSelector__Output as MonitorScopeSelector } from '../../proto/gen/connection/MonitorScopeSelector.js';
export type { ConnectionContext__Output as ConnectionContext } from '../../proto/gen/connectioncontext/ConnectionContext.js';
export type { IPContext__Output as IPContext } from '../../proto/gen/connectioncontext/IPContext.js';
export type { Route__Output as Route } from '../../proto/gen/connectioncontext/Route.js';
export type { PolicyRoute__Output as PolicyRoute } from '../../proto/gen/connectioncontext/PolicyRoute.js';
export type { NetworkServiceRequest__Output as NetworkServiceRequest } from '../../proto/gen/networkservice/NetworkServiceRequest.js';
export type { Timestamp__Output as Timestamp } from '../../proto/gen/google/protobuf/Timestamp.js';

/** Connection states (enum connection.State, as strings). UP is the zero value. */
export const State = {
  UP: 'UP',
  DOWN: 'DOWN',
  REFRESH_REQUESTED: 'REFRESH_REQUESTED',
  RESELECT_REQUESTED: 'RESELECT_REQUESTED',
} as const;
export type State = (typeof State)[keyof typeof State];

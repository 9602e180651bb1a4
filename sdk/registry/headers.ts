/**
 * gRPC metadata the registry uses besides the protos. `path` is NSM's (a JSON path that NSM peers echo
 * back in the response header). The `meridio-registry-*` headers are this project's, sent in the
 * response header of a watching Find: they let a watcher tell a reconnect to the same registry from a
 * restarted one, and know where the initial snapshot ends. Peers that do not know them ignore them.
 */
export const REGISTRY_PATH_HEADER = 'path';
/** A random id of the registry's in-memory state; a restarted registry has a new one. */
export const REGISTRY_INSTANCE_HEADER = 'meridio-registry-instance';
/** How many messages of a watching Find are the current matches; later messages are changes. */
export const REGISTRY_SNAPSHOT_SIZE_HEADER = 'meridio-registry-snapshot-size';

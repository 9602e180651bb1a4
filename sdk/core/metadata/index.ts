export { metadataServer } from './server.js';
export { metadataClient } from './client.js';
export { clientMetadata, MetadataMap, MetadataMissingError, serverMetadata } from './record.js';

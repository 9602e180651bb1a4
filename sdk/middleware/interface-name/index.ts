/** Interface naming: unique names of at most 15 characters per network namespace, kept per connection. */
export { interfaceNameServer, type InterfaceNameOptions } from './server.js';
export { interfaceNameClient } from './client.js';
export { InterfaceNames } from './names.js';

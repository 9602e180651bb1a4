export { newClient } from './client.js';
export type { Client, ClientOptions, RequestInput } from './client.js';

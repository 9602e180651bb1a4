export { updatepathServer } from './server.js';
export { updatepathClient } from './client.js';

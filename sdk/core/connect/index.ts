export { connectServer } from './server.js';
export { connectInProcess } from './in-process.js';

export * from './endpoint/index.js';
export * from './client/index.js';

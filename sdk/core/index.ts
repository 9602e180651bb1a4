export * from './errors.js';
export * from './clock.js';
export * from './context.js';
export * from './types.js';
export * from './connection.js';
export * from './element.js';
export * from './chain.js';
export * from './adapters/index.js';

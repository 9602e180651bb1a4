export { beginServer } from './server.js';
export { beginClient } from './client.js';
export { EventFactoryMissingError, eventFactoryOf } from './context.js';
export type { EventFactory, EventOptions } from './context.js';
export { DEFAULT_EVENT_TIMEOUT_MS, defaultReselect } from './options.js';
export type { BeginClientOptions, BeginOptions, ReselectFunction } from './options.js';
export { KeyedSerializer } from './serializer.js';

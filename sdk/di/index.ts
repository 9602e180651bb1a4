// Decorators need the Reflect polyfill before any decorated class is evaluated.
import 'reflect-metadata';

export { Container, inject, injectable } from 'inversify';
export {
  bindSingleton,
  bindValue,
  createProcessContainer,
  disposeContainer,
  type ProcessContainerOptions,
  resolve,
  type Resolve,
} from './container.js';
export { CoreTokens, token, type Token } from './tokens.js';

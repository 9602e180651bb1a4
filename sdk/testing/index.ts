export { FakeClock } from './fake-clock.js';
export {
  checkContextClient,
  checkContextServer,
  checkRequestClient,
  checkRequestServer,
  checkResponseClient,
  checkResponseServer,
} from './check.js';
export type { ContextCheck, RequestCheck, ResponseCheck } from './check.js';
export { injectErrorClient, injectErrorServer } from './inject-error.js';
export type { InjectErrorOptions } from './inject-error.js';
export { countClient, countServer } from './count.js';
export type { CallCounts, CountingClient, CountingServer } from './count.js';
export { describeElementContract, elementContractChecks } from './contract.js';
export type { ContractCheck, ContractOptions } from './contract.js';
export { newSandbox } from './sandbox.js';
export type { Sandbox, SandboxOptions } from './sandbox.js';

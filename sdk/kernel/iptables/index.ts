export {
  applyLbChains,
  removeLbChains,
  listLbRules,
  LB_CHAIN_PREFIX,
  type LbChainsOptions,
} from './lb-chains.js';
export { renderRestore, chainNames, type LbChainsSpec, type IpFamily } from './rules.js';
export { IptablesError } from './errors.js';

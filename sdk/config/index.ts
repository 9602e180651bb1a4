export { type Cidr, type IpFamily, parseCidr } from './cidr.js';
export { InvalidCidrError, InvalidConfigError } from './errors.js';
export {
  type ConfigDiff,
  type MeridioConfig,
  type Vip,
  EMPTY_CONFIG,
  diffConfigs,
  isEmptyDiff,
  sameVips,
} from './model.js';
export { formatMeridioConf, parseMeridioConf, validateVips } from './parse.js';
export type { ConfigNotice, ConfigSource, ConfigUpdate } from './source.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { type FileConfigSourceOptions, fileConfigSource } from './file-source.js';
export { readConfigFile, writeConfigFile } from './file-io.js';
export { type KubeConfigOptions, loadKubeConfig, namespaceOf } from './kubeconfig.js';
export { type KubernetesConfigSourceOptions, kubernetesConfigSource } from './kubernetes-source.js';

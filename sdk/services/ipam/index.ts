/** The IPAM client and the wire form of prefixes it shares with the service. */
export const IPAM_SERVICE_NAME = 'ipam.IpamService';
export { subnetToPrefix, prefixToSubnet } from './wire.js';
export {
  createIpamClient,
  type IpamClient,
  type IpamClientOptions,
  type AllocateSubnet,
  type ReleaseSubnet,
} from './client.js';

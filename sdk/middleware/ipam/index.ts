/**
 * The proxy's local IPAM: one address per family from the proxy's subnets for the far end of every
 * connection it serves (targets) or makes (LBs); the proxy's own ends are bridge ports.
 */
export { AddressPool } from './address-pool.js';
export { ipamServer, type IpamOptions } from './server.js';
export { ipamClient } from './client.js';

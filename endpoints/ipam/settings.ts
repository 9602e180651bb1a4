import { DEFAULTS } from '../../sdk/defaults.js';
import { setting } from '../../sdk/settings/index.js';

export const IPAM_SETTINGS = {
  listen: setting.serviceAddress({
    description: 'where the IPAM gRPC service listens: host:port, [ipv6]:port or unix:///path',
    default: `[::]:${DEFAULTS.ipamPort}`,
  }),
  db: setting.string({
    placeholder: 'path',
    description: 'the SQLite file holding the allocated subnets',
    default: '/var/lib/meridio/ipam.db',
  }),
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

export const IPAM_SUMMARY =
  'The IPAM service: allocates child subnets of a prefix length from the pool each request names (IPv4 and IPv6) and releases them. Allocations are kept in SQLite, so a restart never hands out a subnet twice, and an owner gets the same subnet again.';

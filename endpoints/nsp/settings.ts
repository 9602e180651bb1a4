import { DEFAULTS } from '../../sdk/defaults.js';
import { setting } from '../../sdk/settings/index.js';

export const NSP_SETTINGS = {
  listen: setting.serviceAddress({
    description: 'where the NSP gRPC service listens: host:port, [ipv6]:port or unix:///path',
    default: `[::]:${DEFAULTS.nspPort}`,
  }),
  db: setting.string({
    placeholder: 'path',
    description: 'the SQLite file holding the registered targets and their expiry times',
    default: '/var/lib/meridio/nsp.db',
  }),
  keepalive: setting.duration({
    description: 'a target not registered again within this time is removed',
    default: DEFAULTS.nspKeepaliveMs,
    minMs: 100,
  }),
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

export const NSP_SUMMARY =
  'The Network Service Platform: a registry of targets (Register, Unregister, Monitor, GetTargets) that the load balancers watch. Targets expire unless registered again within the keepalive; the registry is kept in SQLite across restarts.';

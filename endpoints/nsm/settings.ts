import { DEFAULTS } from '../../sdk/defaults.js';
import { setting } from '../../sdk/settings/index.js';

export const NSM_SETTINGS = {
  socket: setting.string({
    placeholder: 'path',
    description:
      'the unix socket the embedded NSM serves on: registry, NetworkService and MonitorConnection (clients and endpoints use unix://<path>)',
  }),
  managerName: setting.string({
    description:
      "the manager's path segment name; keep it across restarts so clients' connections are recognised",
    default: 'nsm',
  }),
  registryExpiry: setting.duration({
    description:
      'an endpoint that does not register again within this time is dropped and its connections fail over',
    default: DEFAULTS.registryExpiryMs,
    minMs: 100,
  }),
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

export const NSM_SUMMARY =
  'The embedded Network Service Mesh: registry, manager and kernel forwarder on one unix socket, speaking the upstream NSM gRPC API. Connections become veth pairs between network namespaces; it needs root.';

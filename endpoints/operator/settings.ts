import { type Setting, setting } from '../../sdk/settings/index.js';

/** A TCP address to listen on: `host:port`, `[ipv6]:port`, or `:port` for every address. */
export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

function formatListen(address: ListenAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9._-]*)):(\d{1,5})$/.exec(text.trim());
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new Error('host:port, [ipv6]:port or :port');
  return { host: match[1] ?? (match[2] || '::'), port };
}

function listen(description: string, fallback: string): Setting<ListenAddress> {
  return Object.freeze({
    description,
    defaultValue: parseListen(fallback),
    placeholder: '<host:port>',
    isSwitch: false,
    parse: parseListen,
    format: formatListen,
  });
}

export const OPERATOR_SETTINGS = {
  namespace: setting.string({
    description:
      "the namespace whose trenches are reconciled; empty: the pod's own (its service account's), else the kubeconfig context's",
    default: '',
    allowEmpty: true,
  }),
  kubeconfig: setting.string({
    placeholder: 'path',
    description: 'a kubeconfig file; empty: $KUBECONFIG, ~/.kube/config, then the pod service account',
    default: '',
    allowEmpty: true,
  }),
  identity: setting.string({
    description:
      'this replica in the leader election and in events; empty: the host name and a random suffix',
    default: '',
    allowEmpty: true,
  }),
  webhook: setting.boolean({ description: 'serve the validating webhook for trenches', default: true }),
  webhookListen: listen('where the validating webhook listens (HTTPS)', '[::]:9443'),
  webhookCertDir: setting.string({
    placeholder: 'directory',
    description:
      "the directory holding the webhook's tls.crt and tls.key (a kubernetes.io/tls Secret mounted there)",
    default: '/tmp/k8s-webhook-server/serving-certs',
  }),
  healthListen: listen('where /healthz and /readyz are served (HTTP)', '[::]:8081'),
  leaderElect: setting.boolean({
    description: 'reconcile only while holding the lease, so that several replicas can run',
    default: true,
  }),
  leaseName: setting.string({
    description: "the leader election's Lease in the namespace",
    default: 'meridio-operator',
  }),
  leaseDuration: setting.duration({
    description: 'how long a lease not renewed stays with its holder',
    default: 15_000,
    minMs: 1000,
  }),
  renewDeadline: setting.duration({
    description:
      'a leader that could not renew for this long stops reconciling (less than the lease duration)',
    default: 10_000,
    minMs: 100,
  }),
  retryPeriod: setting.duration({
    description: 'how often the leader renews and candidates try to take the lease',
    default: 2_000,
    minMs: 50,
  }),
  resync: setting.duration({
    description: 'every trench is reconciled again this often even without events; 0 turns it off',
    default: 600_000,
  }),
  logLevel: setting.logLevel({ description: 'the least severe level that is logged', default: 'info' }),
};

export const OPERATOR_SUMMARY =
  "The Meridio operator: keeps the ConfigMap of every Trench in the namespace (data key meridio.conf) equal to the trench's VIPs, creating it, restoring it when edited or deleted by hand, and reporting a Ready condition; serves the validating webhook that rejects a Trench whose VIPs are not network CIDRs or are listed twice. Several replicas elect a leader with a Lease; only the leader writes.";

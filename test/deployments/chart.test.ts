import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { jest } from '@jest/globals';
import { parse } from 'yaml';

import { runCli } from '../../bin/cli.js';
import { SUBCOMMANDS } from '../../bin/commands.js';
import { TRENCH_WEBHOOK_PATH } from '../../endpoints/operator/index.js';
import { parseMeridioConf } from '../../sdk/config/index.js';
import { type KubeManifest, helm, renderChart } from './helm.js';
import { type CrdSchema, crdSchemas, validateManifest } from './schemas.js';

const DEPLOYMENTS = fileURLToPath(new URL('../../deployments/', import.meta.url));
const OPERATOR_CHART = `${DEPLOYMENTS}helm/meridio-operator`;
const MERIDIO_CHART = `${DEPLOYMENTS}helm/meridio`;
const TRENCH_CRD = `${DEPLOYMENTS}crds/meridio.nordix.org_trenches.yaml`;
const NAD_CRD = fileURLToPath(new URL('./fixtures/network-attachment-definition-crd.yaml', import.meta.url));

type Json = Record<string, unknown>;

function find(objects: readonly KubeManifest[], kind: string, name?: string): KubeManifest & Json {
  const found = objects.filter(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name ?? ''}, rendered ${found.length}`);
  return found[0] as KubeManifest & Json;
}

function podSpec(workload: Json): Json {
  return ((workload.spec as Json).template as Json).spec as Json;
}

interface Container {
  name: string;
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  securityContext?: {
    privileged?: boolean;
    runAsUser?: number;
    capabilities?: { add?: string[]; drop?: string[] };
  };
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

function containers(workload: Json, init = false): Container[] {
  return (podSpec(workload)[init ? 'initContainers' : 'containers'] ?? []) as Container[];
}

function envOf(container: Container): Record<string, string | undefined> {
  return Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value]));
}

/** The sysctls the init container sets, parsed from its script. */
function sysctlsOf(workload: Json): string[] {
  const [init] = containers(workload, true);
  const script = init!.args!.join('\n');
  return /for setting in ([^;]*);/.exec(script)![1]!.split(' ');
}

describe('the charts, rendered with a real helm binary', () => {
  let crds: CrdSchema[];

  beforeAll(() => {
    crds = [...crdSchemas(TRENCH_CRD), ...crdSchemas(NAD_CRD)];
  });

  test.each([
    ['meridio-operator', OPERATOR_CHART],
    ['meridio', MERIDIO_CHART],
  ])('helm lint --strict %s', async (_name, chart) => {
    const output = await helm(['lint', '--strict', chart, '--namespace', 'red']);
    expect(output).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  const VARIANTS: readonly (readonly [string, string, readonly string[]])[] = [
    ['meridio-operator defaults (CRD included)', OPERATOR_CHART, []],
    [
      'meridio-operator with a certificate made elsewhere',
      OPERATOR_CHART,
      ['webhook.certificate.secretName=from-cert-manager', 'webhook.certificate.caBundle=Q0E='],
    ],
    ['meridio defaults', MERIDIO_CHART, []],
    [
      'meridio: chart-written ConfigMap, upstream NSM, IPv4, persistent state, no target, no external network',
      MERIDIO_CHART,
      [
        'trench.configuration=chart',
        'nsm.mode=upstream',
        'ipFamily=ipv4',
        'nsp.storageSize=1Gi',
        'ipam.storageSize=1Gi',
        'target.enabled=false',
        'loadBalancer.externalNetwork.enabled=false',
        'loadBalancer.antiAffinity=required',
        'image.registry=registry.example.org',
        'imagePullSecrets[0].name=pull',
      ],
    ],
    ['meridio: IPv6 only', MERIDIO_CHART, ['ipFamily=ipv6', 'trench.vips={2000::1/128}']],
  ];

  test.each(VARIANTS)(
    'every object of "%s" is valid against the Kubernetes and CRD schemas',
    async (_name, chart, set) => {
      const objects = await renderChart(chart, { set, includeCrds: true });
      expect(objects.length).toBeGreaterThan(3);
      const problems = objects.flatMap((object) => validateManifest(object, crds));
      expect(problems).toEqual([]);
      for (const object of objects) {
        if (object.kind !== 'CustomResourceDefinition' && object.kind !== 'ValidatingWebhookConfiguration') {
          expect(object.metadata.namespace).toBe('red');
        }
      }
    },
  );

  test('the validation itself catches what the API server would refuse', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'x' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: {
          metadata: { labels: { a: 'b' } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'i',
                securityContext: { capabilites: { add: ['NET_ADMIN'] } },
                ports: [{ containerPort: 'http' }],
              },
            ],
          },
        },
      },
    } as unknown as KubeManifest;
    const problems = validateManifest(deployment, crds);
    expect(problems).toEqual([
      expect.stringContaining('containerPort must be integer'),
      'Deployment x: spec.template.spec.containers[0].securityContext.capabilites: unknown field',
    ]);
    const trench = {
      apiVersion: 'meridio.nordix.org/v1alpha1',
      kind: 'Trench',
      metadata: { name: 't' },
      spec: { vips: '20.0.0.1/32', configMapName: 'Upper', extra: 1 },
    } as unknown as KubeManifest;
    const trenchProblems = validateManifest(trench, crds).join('\n');
    expect(trenchProblems).toContain('/spec/vips must be array');
    expect(trenchProblems).toContain('/spec/configMapName must match pattern');
    expect(trenchProblems).toContain(
      '/spec must NOT have additional properties {"additionalProperty":"extra"}',
    );
    expect(validateManifest({ apiVersion: 'x/v1', kind: 'Y', metadata: { name: 'z' } }, crds)).toEqual([
      'Y z: x/v1 Y has no schema here; add one',
    ]);
  });
});

describe('the meridio-operator chart', () => {
  let objects: KubeManifest[];

  beforeAll(async () => {
    objects = await renderChart(OPERATOR_CHART, { release: 'meridio-operator', includeCrds: true });
  });

  test("the Role grants exactly the issue's rules, in the operator's namespace, to its ServiceAccount", () => {
    const role = find(objects, 'Role');
    expect(role.metadata.namespace).toBe('red');
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      {
        apiGroups: ['meridio.nordix.org'],
        resources: ['trenches'],
        verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      },
      {
        apiGroups: ['meridio.nordix.org'],
        resources: ['trenches/status'],
        verbs: ['get', 'patch', 'update'],
      },
      { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create', 'get', 'update'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
    ]);
    expect(
      objects.filter((object) => object.kind === 'ClusterRole' || object.kind === 'ClusterRoleBinding'),
    ).toEqual([]);
    const binding = find(objects, 'RoleBinding');
    expect(binding.roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: role.metadata.name,
    });
    const account = find(objects, 'ServiceAccount');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: account.metadata.name, namespace: 'red' },
    ]);
    expect(podSpec(find(objects, 'Deployment')).serviceAccountName).toBe(account.metadata.name);
  });

  test('the Deployment: 2 replicas of `meridio operator`, non-root, no capabilities, probes, certificates where the settings look', () => {
    const deployment = find(objects, 'Deployment');
    expect((deployment.spec as Json).replicas).toBe(2);
    const [operator] = containers(deployment);
    expect(operator!.args).toEqual(['operator']);
    const env = envOf(operator!);
    expect(Object.keys(env).every((name) => name.startsWith('NSM_'))).toBe(true);
    expect(env).toMatchObject({
      NSM_WEBHOOK_LISTEN: ':9443',
      NSM_HEALTH_LISTEN: ':8081',
      NSM_LEADER_ELECT: 'true',
    });
    expect(operator!.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(podSpec(deployment).securityContext).toMatchObject({ runAsNonRoot: true });
    const mount = operator!.volumeMounts!.find((volume) => volume.name === 'webhook-certificate')!;
    expect(mount.mountPath).toBe(env.NSM_WEBHOOK_CERT_DIR);
    expect(operator!.ports!.map((port) => port.containerPort)).toEqual([9443, 8081]);
  });

  test('the webhook: the path the server serves, through the Service to port 9443, with a CA that signed the served certificate', () => {
    const configuration = find(objects, 'ValidatingWebhookConfiguration');
    const [webhook] = configuration.webhooks as Json[];
    expect(webhook).toMatchObject({
      admissionReviewVersions: ['v1'],
      sideEffects: 'None',
      failurePolicy: 'Fail',
      rules: [
        {
          apiGroups: ['meridio.nordix.org'],
          apiVersions: ['v1alpha1'],
          operations: ['CREATE', 'UPDATE'],
          resources: ['trenches'],
          scope: 'Namespaced',
        },
      ],
      namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'red' } },
    });
    const client = (webhook!.clientConfig as Json).service as Json;
    expect(client).toMatchObject({ namespace: 'red', path: TRENCH_WEBHOOK_PATH, port: 443 });
    const service = find(objects, 'Service', client.name as string);
    expect(service.spec).toMatchObject({ ports: [{ port: 443, targetPort: 'webhook' }] });

    const secret = find(objects, 'Secret');
    const data = secret.data as Record<string, string>;
    const ca = new X509Certificate(Buffer.from((webhook!.clientConfig as Json).caBundle as string, 'base64'));
    const served = new X509Certificate(Buffer.from(data['tls.crt']!, 'base64'));
    expect(served.verify(ca.publicKey)).toBe(true);
    expect(served.subjectAltName).toContain(`DNS:${client.name as string}.red.svc`);
    expect(Buffer.from(data['ca.crt']!, 'base64').toString()).toBe(ca.toString());
  });

  test('the CRD rendered from crds/ is deployments/crds: namespaced, status subresource, defaults', () => {
    const crd = find(objects, 'CustomResourceDefinition');
    expect(crd).toEqual(parse(readFileSync(TRENCH_CRD, 'utf8')));
    const [version] = (crd.spec as Json).versions as Json[];
    expect((crd.spec as Json).scope).toBe('Namespaced');
    expect(version!.subresources).toEqual({ status: {} });
    const spec = (((version!.schema as Json).openAPIV3Schema as Json).properties as Json).spec as Json;
    expect((spec.properties as Json).configMapName).toMatchObject({ default: 'meridio-configuration' });
  });

  test('a certificate made elsewhere needs its CA; then no Secret is rendered', async () => {
    await expect(
      renderChart(OPERATOR_CHART, { set: ['webhook.certificate.secretName=mine'] }),
    ).rejects.toThrow('webhook.certificate.caBundle is needed with webhook.certificate.secretName');
    const rendered = await renderChart(OPERATOR_CHART, {
      set: ['webhook.certificate.secretName=mine', 'webhook.certificate.caBundle=Q0E='],
    });
    expect(rendered.filter((object) => object.kind === 'Secret')).toEqual([]);
    expect(podSpec(find(rendered, 'Deployment')).volumes).toEqual([
      { name: 'webhook-certificate', secret: { secretName: 'mine' } },
    ]);
  });
});

describe('the meridio chart (one trench)', () => {
  let objects: KubeManifest[];

  beforeAll(async () => {
    objects = await renderChart(MERIDIO_CHART);
  });

  test('NSP and IPAM: one-replica StatefulSets behind Services on 7778 and 7777, gRPC probes, no API token', () => {
    for (const [component, port] of [
      ['nsp', 7778],
      ['ipam', 7777],
    ] as const) {
      const set = find(objects, 'StatefulSet', `${component}-trench-a`);
      expect((set.spec as Json).replicas).toBe(1);
      expect(podSpec(set).automountServiceAccountToken).toBe(false);
      const [container] = containers(set);
      expect(container!.args).toEqual([component]);
      expect(envOf(container!).NSM_LISTEN).toBe(`[::]:${port}`);
      expect(container).toMatchObject({
        readinessProbe: { grpc: { port } },
        livenessProbe: { grpc: { port } },
      });
      expect(container!.securityContext).toMatchObject({
        runAsNonRoot: true,
        capabilities: { drop: ['ALL'] },
      });
      const service = find(objects, 'Service', `${component}-trench-a`);
      expect(service.spec).toMatchObject({ ports: [{ port, targetPort: 'grpc' }] });
    }
  });

  test('the LB: a Deployment of 2 with anti-affinity, its external interface a Multus macvlan', async () => {
    const lb = find(objects, 'Deployment', 'load-balancer-trench-a');
    expect((lb.spec as Json).replicas).toBe(2);
    const antiAffinity = (podSpec(lb).affinity as Json).podAntiAffinity as Json;
    expect(antiAffinity.preferredDuringSchedulingIgnoredDuringExecution).toEqual([
      expect.objectContaining({
        podAffinityTerm: expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' }),
      }),
    ]);
    const required = find(
      await renderChart(MERIDIO_CHART, { set: ['loadBalancer.antiAffinity=required'] }),
      'Deployment',
      'load-balancer-trench-a',
    );
    expect(
      ((podSpec(required).affinity as Json).podAntiAffinity as Json)
        .requiredDuringSchedulingIgnoredDuringExecution,
    ).toEqual([expect.objectContaining({ topologyKey: 'kubernetes.io/hostname' })]);

    const nad = find(objects, 'NetworkAttachmentDefinition');
    expect(JSON.parse((nad.spec as { config: string }).config)).toEqual({
      cniVersion: '0.4.0',
      name: 'external-trench-a',
      type: 'macvlan',
      master: 'eth0',
      mode: 'bridge',
      ipam: { type: 'host-local', ranges: [[{ subnet: '169.254.100.0/24' }], [{ subnet: '100:100::/64' }]] },
    });
    const annotations = ((lb.spec as Json).template as { metadata: { annotations: Record<string, string> } })
      .metadata.annotations;
    expect(JSON.parse(annotations['k8s.v1.cni.cncf.io/networks']!)).toEqual([
      { name: nad.metadata.name, interface: 'ext0' },
    ]);
  });

  test('a proxy DaemonSet and an example target Deployment (target + ctraffic on :5000)', () => {
    const proxy = find(objects, 'DaemonSet', 'proxy-trench-a');
    expect(containers(proxy)[0]!.args).toEqual(['proxy']);
    expect(envOf(containers(proxy)[0]!)).toMatchObject({
      NSM_SUBNET_POOLS: '172.16.0.0/16,fd00::/48',
      NSM_SUBNET_PREFIX_LENGTHS: '24,64',
      NSM_IPAM_SERVICE: 'ipam-trench-a:7777',
      NSM_NSP_SERVICE: 'nsp-trench-a:7778',
      NSM_NETWORK_SERVICE_NAME: 'load-balancer.trench-a.red',
    });
    const target = find(objects, 'Deployment', 'target-trench-a');
    expect(containers(target).map((container) => container.args?.[0])).toEqual(['target', 'ctraffic']);
    expect(containers(target)[1]!.ports).toEqual([
      { name: 'ctraffic', containerPort: 5000, protocol: 'TCP' },
    ]);
    expect(envOf(containers(target)[0]!).NSM_PROXY_NETWORK_SERVICE_NAME).toBe(
      envOf(containers(proxy)[0]!).NSM_SERVICE_NAME,
    );
  });

  test('privileges: NET_ADMIN (and NET_RAW for iptables) only where needed, every other capability dropped', () => {
    const expected: Record<string, string[] | undefined> = {
      'load-balancer': ['NET_ADMIN', 'NET_RAW'],
      proxy: ['NET_ADMIN'],
      target: ['NET_ADMIN'],
      ctraffic: undefined,
      nsp: undefined,
      ipam: undefined,
    };
    const workloads = objects.filter((object) =>
      ['Deployment', 'DaemonSet', 'StatefulSet'].includes(object.kind),
    );
    const seen: string[] = [];
    for (const workload of workloads) {
      for (const container of containers(workload as Json)) {
        seen.push(container.name);
        if (container.name === 'nsm') continue;
        expect(container.securityContext?.privileged).toBeUndefined();
        expect(container.securityContext?.capabilities?.drop).toEqual(['ALL']);
        expect(container.securityContext?.capabilities?.add).toEqual(expected[container.name]);
      }
    }
    expect(seen.sort()).toEqual(['ctraffic', 'ipam', 'load-balancer', 'nsm', 'nsp', 'proxy', 'target']);
  });

  test("sysctls through a privileged init container, by component and IP family (seed's Privileges)", async () => {
    const lb = find(objects, 'Deployment', 'load-balancer-trench-a');
    expect(containers(lb, true)[0]!.securityContext).toEqual({ privileged: true });
    // The symmetric five-tuple hash of decision 011, in both families, wherever multipath routes are.
    const fiveTuple = [
      'net.ipv4.fib_multipath_hash_policy=3',
      'net.ipv4.fib_multipath_hash_fields=0x37',
      'net.ipv6.fib_multipath_hash_policy=3',
      'net.ipv6.fib_multipath_hash_fields=0x37',
    ];
    expect(sysctlsOf(lb)).toEqual(
      expect.arrayContaining([
        'net.ipv4.conf.all.forwarding=1',
        'net.ipv6.conf.all.forwarding=1',
        ...fiveTuple,
      ]),
    );
    const proxySysctls = sysctlsOf(find(objects, 'DaemonSet', 'proxy-trench-a'));
    expect(proxySysctls).toEqual(
      expect.arrayContaining([
        'net.ipv4.conf.all.forwarding=1',
        'net.ipv6.conf.all.forwarding=1',
        'net.ipv6.conf.all.accept_dad=0',
        ...fiveTuple,
      ]),
    );
    expect(sysctlsOf(find(objects, 'Deployment', 'target-trench-a'))).toEqual(fiveTuple);
    for (const workload of [lb, find(objects, 'DaemonSet', 'proxy-trench-a')]) {
      expect(sysctlsOf(workload).filter((sysctl) => sysctl.includes('multipath'))).toEqual(fiveTuple);
    }
    // Another policy sets no fields (they only mean something to policy 3).
    const l4 = await renderChart(MERIDIO_CHART, { set: ['multipathHash.policy=1'] });
    expect(
      sysctlsOf(find(l4, 'DaemonSet', 'proxy-trench-a')).filter((sysctl) => sysctl.includes('multipath')),
    ).toEqual(['net.ipv4.fib_multipath_hash_policy=1', 'net.ipv6.fib_multipath_hash_policy=1']);
    const ipv6 = await renderChart(MERIDIO_CHART, { set: ['ipFamily=ipv6', 'trench.vips={2000::1/128}'] });
    expect(sysctlsOf(find(ipv6, 'Deployment', 'target-trench-a'))).toEqual([
      'net.ipv6.fib_multipath_hash_policy=3',
      'net.ipv6.fib_multipath_hash_fields=0x37',
    ]);
    await expect(renderChart(MERIDIO_CHART, { set: ['multipathHash.policy=4'] })).rejects.toThrow(
      /multipathHash/,
    );
    const ipv4 = await renderChart(MERIDIO_CHART, { set: ['ipFamily=ipv4'] });
    expect(
      sysctlsOf(find(ipv4, 'DaemonSet', 'proxy-trench-a')).filter((sysctl) => sysctl.startsWith('net.ipv6')),
    ).toEqual([]);
    expect(envOf(containers(find(ipv4, 'DaemonSet', 'proxy-trench-a'))[0]!).NSM_SUBNET_POOLS).toBe(
      '172.16.0.0/16',
    );
  });

  test('ServiceAccounts: LB, proxy and target may only list and watch the trench ConfigMap; the others get no token', () => {
    const role = find(objects, 'Role');
    expect(role.rules).toEqual([
      {
        apiGroups: [''],
        resources: ['configmaps'],
        resourceNames: ['meridio-configuration'],
        verbs: ['list', 'watch'],
      },
    ]);
    const reader = find(objects, 'RoleBinding').subjects as { name: string }[];
    for (const [kind, name] of [
      ['Deployment', 'load-balancer-trench-a'],
      ['DaemonSet', 'proxy-trench-a'],
      ['Deployment', 'target-trench-a'],
    ] as const) {
      expect(podSpec(find(objects, kind, name)).serviceAccountName).toBe(reader[0]!.name);
    }
    const noApi = objects.find(
      (object) => object.kind === 'ServiceAccount' && object.automountServiceAccountToken === false,
    );
    expect(podSpec(find(objects, 'DaemonSet', 'nsm-trench-a')).serviceAccountName).toBe(noApi!.metadata.name);
  });

  test('nsm.mode embedded: a privileged DaemonSet with hostPID whose socket the components dial; upstream: none', async () => {
    const nsm = find(objects, 'DaemonSet', 'nsm-trench-a');
    expect(podSpec(nsm).hostPID).toBe(true);
    expect(containers(nsm)[0]!.securityContext).toEqual({ privileged: true });
    const socket = envOf(containers(nsm)[0]!).NSM_SOCKET!;
    expect(envOf(containers(find(objects, 'Deployment', 'load-balancer-trench-a'))[0]!).NSM_CONNECT_TO).toBe(
      `unix://${socket}`,
    );

    const upstream = await renderChart(MERIDIO_CHART, { set: ['nsm.mode=upstream'] });
    expect(
      upstream.filter((object) => object.kind === 'DaemonSet').map((object) => object.metadata.name),
    ).toEqual(['proxy-trench-a']);
    expect(envOf(containers(find(upstream, 'DaemonSet', 'proxy-trench-a'))[0]!).NSM_CONNECT_TO).toBe(
      'unix:///var/lib/networkservicemesh/nsm.io.sock',
    );
    const notes = await helm([
      'install',
      'trench-a',
      MERIDIO_CHART,
      '--namespace',
      'red',
      '--dry-run=client',
      '--set',
      'nsm.mode=upstream',
    ]);
    expect(notes).toContain('WARNING: nsm.mode=upstream is not working yet.');
  });

  test('with the operator, a Trench and no ConfigMap; without it, the ConfigMap in the runtime-configuration format', async () => {
    expect(objects.filter((object) => object.kind === 'ConfigMap')).toEqual([]);
    expect(find(objects, 'Trench', 'trench-a').spec).toEqual({
      vips: ['20.0.0.1/32', '2000::1/128'],
      configMapName: 'meridio-configuration',
    });
    const chartWritten = await renderChart(MERIDIO_CHART, { set: ['trench.configuration=chart'] });
    expect(chartWritten.filter((object) => object.kind === 'Trench')).toEqual([]);
    const configMap = find(chartWritten, 'ConfigMap', 'meridio-configuration');
    const config = parseMeridioConf((configMap.data as Record<string, string>)['meridio.conf']!);
    expect(config.vips.map((vip) => vip.cidr)).toEqual(['20.0.0.1/32', '2000::1/128']);
  });

  test('bad values are refused by the values schema', async () => {
    await expect(renderChart(MERIDIO_CHART, { set: ['nsm.mode=kernel'] })).rejects.toThrow(/nsm\.mode|mode/);
    await expect(renderChart(MERIDIO_CHART, { set: ['ipFamily=both'] })).rejects.toThrow(/ipFamily/);
  });
});

describe('the charts and the processes agree on settings', () => {
  /** `meridio <command> --help`, or undefined when the command does not exist (yet). */
  async function helpOf(command: string): Promise<string | undefined> {
    if (!SUBCOMMANDS.some((subcommand) => subcommand.name === command)) return undefined;
    let text = '';
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      text += String(chunk);
      return true;
    });
    try {
      expect(await runCli(SUBCOMMANDS, [command, '--help'], {})).toBe(0);
    } finally {
      spy.mockRestore();
    }
    return text;
  }

  test('every NSM_ variable and --flag a container gets is a setting of its `meridio` command', async () => {
    const rendered = [
      ...(await renderChart(MERIDIO_CHART)),
      ...(await renderChart(MERIDIO_CHART, { set: ['trench.configuration=chart', 'nsm.mode=upstream'] })),
      ...(await renderChart(OPERATOR_CHART)),
    ];
    const checked = new Set<string>();
    const notYet = new Set<string>();
    for (const workload of rendered.filter((object) =>
      ['Deployment', 'DaemonSet', 'StatefulSet'].includes(object.kind),
    )) {
      for (const container of containers(workload as Json)) {
        const [command, ...flags] = container.args ?? [];
        const help = await helpOf(command!);
        if (help === undefined) {
          notYet.add(command!);
          continue;
        }
        checked.add(command!);
        for (const variable of container.env ?? [])
          expect(
            `${command}: ${help.includes(`  ${variable.name}  `) ? variable.name : `unknown ${variable.name}`}`,
          ).toBe(`${command}: ${variable.name}`);
        for (const flag of flags.filter((arg) => arg.startsWith('--')))
          expect(`${command}: ${help.includes(`  ${flag} `) ? flag : `unknown ${flag}`}`).toBe(
            `${command}: ${flag}`,
          );
      }
    }
    expect([...checked]).toEqual(expect.arrayContaining(['operator', 'nsp', 'ipam']));
    if (notYet.size > 0) {
      console.log(
        `chart settings not checked (no such meridio command yet): ${[...notYet].sort().join(', ')}`,
      );
    }
  });
});

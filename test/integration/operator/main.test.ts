import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { jest } from '@jest/globals';

import { runCli } from '../../../bin/cli.js';
import { SUBCOMMANDS } from '../../../bin/commands.js';
import { CONFIG_MAP, LEASE, type TestApiServer } from '../../helpers/apiserver/index.js';
import { writeSelfSignedCertificate } from './certificates.js';
import { NAMESPACE, TrenchClient, confOf, startOperatorApiServer, stored, waitForStore } from './harness.js';

/** Runs `meridio <argv>` in this process, collecting what it prints. */
async function meridio(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  // Under jest, console.error does not go through process.stderr.
  const consoleError = jest.spyOn(console, 'error').mockImplementation((...parts: unknown[]) => {
    err += `${parts.map(String).join(' ')}\n`;
  });
  try {
    const code = await runCli(SUBCOMMANDS, argv, env);
    return { code, out, err };
  } finally {
    stdout.mockRestore();
    stderr.mockRestore();
    consoleError.mockRestore();
  }
}

describe('meridio operator', () => {
  test('--help lists every setting with its NSM_ variable', async () => {
    const { code, out } = await meridio(['operator', '--help']);
    expect(code).toBe(0);
    for (const variable of [
      'NSM_NAMESPACE',
      'NSM_KUBECONFIG',
      'NSM_IDENTITY',
      'NSM_WEBHOOK',
      'NSM_WEBHOOK_LISTEN',
      'NSM_WEBHOOK_CERT_DIR',
      'NSM_HEALTH_LISTEN',
      'NSM_LEADER_ELECT',
      'NSM_LEASE_NAME',
      'NSM_LEASE_DURATION',
      'NSM_RENEW_DEADLINE',
      'NSM_RETRY_PERIOD',
      'NSM_RESYNC',
      'NSM_LOG_LEVEL',
    ]) {
      expect(out).toContain(variable);
    }
    expect(out).toContain('--webhook-listen <host:port>');
  });

  test('bad settings: exit 2 with one sentence naming the setting', async () => {
    const listen = await meridio(['operator'], { NSM_WEBHOOK_LISTEN: 'unix:///run/webhook.sock' });
    expect(listen.code).toBe(2);
    expect(listen.err).toContain('NSM_WEBHOOK_LISTEN');
    expect(listen.err).toContain('host:port, [ipv6]:port or :port');
    const duration = await meridio(['operator', '--lease-duration', '500ms']);
    expect(duration.code).toBe(2);
    expect(duration.err).toContain('a duration of at least 1s');
  });

  test('unusable credentials: exit 1 with the reason', async () => {
    const { code, err } = await meridio(['operator', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(code).toBe(1);
    expect(err).toContain('cannot load Kubernetes credentials from /nonexistent/kubeconfig');
  });

  describe('a whole run', () => {
    let server: TestApiServer;
    let directory: string;

    beforeEach(async () => {
      server = await startOperatorApiServer();
      directory = await mkdtemp(join(tmpdir(), 'meridio-operator-'));
    });

    afterEach(async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    });

    test('reconciles until SIGTERM, then releases the lease and exits 0', async () => {
      const kubeconfig = join(directory, 'kubeconfig');
      await server.writeKubeconfig(kubeconfig, NAMESPACE);
      await writeSelfSignedCertificate(directory, 'operator');
      const running = runCli(
        SUBCOMMANDS,
        ['operator', '--kubeconfig', kubeconfig, '--webhook-cert-dir', directory, '--identity', 'pod-0'],
        {
          NSM_WEBHOOK_LISTEN: '127.0.0.1:0',
          NSM_HEALTH_LISTEN: '127.0.0.1:0',
          NSM_LOG_LEVEL: 'silent',
          NSM_LEASE_DURATION: '2s',
          NSM_RENEW_DEADLINE: '1s',
          NSM_RETRY_PERIOD: '200ms',
        },
      );
      const holder = (): string | undefined =>
        (stored(server, LEASE, 'meridio-operator')?.spec as { holderIdentity?: string } | undefined)
          ?.holderIdentity;
      await waitForStore(server, () => (holder() === 'pod-0' ? true : undefined));
      await new TrenchClient(server.kubeConfig(NAMESPACE)).create('trench-a', { vips: ['20.0.0.1/32'] });
      await waitForStore(server, () =>
        confOf(stored(server, CONFIG_MAP, 'meridio-configuration')) === 'vips: [20.0.0.1/32]\n'
          ? true
          : undefined,
      );
      process.emit('SIGTERM', 'SIGTERM');
      await expect(running).resolves.toBe(0);
      expect(holder()).toBeUndefined();
    });
  });
});

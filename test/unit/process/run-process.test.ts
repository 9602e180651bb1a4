import { runProcess, type ProcessIo } from '../../../sdk/process/index.js';
import { meridioSetting, setting, SettingsError } from '../../../sdk/settings/index.js';

const SETTINGS = {
  logLevel: setting.logLevel({ description: 'log level', default: 'silent' }),
  parts: setting.integer({ description: 'how many parts to start', default: 2, min: 0 }),
};

/** Captured output, and a termination the test fires. */
function testIo(): ProcessIo & { out: string; err: string; terminate(): void } {
  let terminate: (signal: string) => void = () => undefined;
  const termination = new Promise<string>((resolve) => (terminate = resolve));
  const io = {
    out: '',
    err: '',
    stdout: { write: (text: string) => (io.out += text) },
    stderr: { write: (text: string) => (io.err += text) },
    termination: () => termination,
    terminate: () => terminate('SIGTERM'),
  };
  return io;
}

describe('runProcess', () => {
  it('starts the parts in order and stops them in reverse order at termination', async () => {
    const events: string[] = [];
    const io = testIo();
    const exited = runProcess(
      {
        component: 'demo',
        settings: SETTINGS,
        help: { usage: 'meridio demo', summary: 'A demo.' },
        async start({ settings, onStop }) {
          for (let i = 1; i <= settings.parts; i++) {
            events.push(`start ${i}`);
            onStop(`part ${i}`, async () => void events.push(`stop ${i}`));
          }
        },
      },
      ['--parts', '3'],
      {},
      io,
    );
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).toEqual(['start 1', 'start 2', 'start 3']);
    io.terminate();
    await expect(exited).resolves.toBe(0);
    expect(events).toEqual(['start 1', 'start 2', 'start 3', 'stop 3', 'stop 2', 'stop 1']);
  });

  it('runs every stop even when one fails, and then exits 1', async () => {
    const events: string[] = [];
    const io = testIo();
    const exited = runProcess(
      {
        component: 'demo',
        settings: SETTINGS,
        help: { usage: 'meridio demo', summary: 'A demo.' },
        async start({ onStop }) {
          onStop('rules', () => void events.push('stop rules'));
          onStop('queue', () => {
            throw new Error('the queue would not close');
          });
        },
      },
      [],
      {},
      io,
    );
    await new Promise((resolve) => setImmediate(resolve));
    io.terminate();
    await expect(exited).resolves.toBe(1);
    expect(events).toEqual(['stop rules']);
  });

  it('stops what had started when a later part fails, and exits 1 with a sentence', async () => {
    const events: string[] = [];
    const io = testIo();
    const code = await runProcess(
      {
        component: 'demo',
        settings: SETTINGS,
        help: { usage: 'meridio demo', summary: 'A demo.' },
        async start({ onStop }) {
          onStop('first', () => void events.push('stop first'));
          onStop('second', () => {
            events.push('stop second');
            throw new Error('second would not stop');
          });
          throw new Error('the socket is in use');
        },
      },
      [],
      {},
      io,
    );
    expect(code).toBe(1);
    expect(io.err).toBe('meridio demo: the socket is in use\n');
    expect(events).toEqual(['stop second', 'stop first']);
  });

  it('answers --help and a bad setting without starting anything', async () => {
    let started = 0;
    const definition = {
      component: 'demo',
      settings: SETTINGS,
      help: { usage: 'meridio demo', summary: 'A demo process.' },
      start: async () => void started++,
    };
    const help = testIo();
    await expect(runProcess(definition, ['--help'], {}, help)).resolves.toBe(0);
    expect(help.out).toContain('A demo process.');
    const bad = testIo();
    await expect(runProcess(definition, ['--parts', 'many'], {}, bad)).resolves.toBe(2);
    expect(bad.err).toContain('parts');
    expect(started).toBe(0);
  });

  it('exits 2 for a value that parsed but cannot be used, after stopping what had started', async () => {
    const io = testIo();
    let stopped = false;
    const code = await runProcess(
      {
        component: 'demo',
        settings: { logLevel: meridioSetting.logLevel() },
        help: { usage: 'meridio demo', summary: 'A demo.' },
        async start({ onStop }) {
          onStop('metrics', () => (stopped = true));
          throw new SettingsError('meridio demo: --socket must be an absolute path, not "x".');
        },
      },
      ['--log-level', 'silent'],
      {},
      io,
    );
    expect(code).toBe(2);
    expect(io.err).toBe('meridio demo: --socket must be an absolute path, not "x".\n');
    expect(stopped).toBe(true);
  });
});

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { ConnStats, Statistics } from '../../../clients/ctraffic/index.js';
import { connectionsHeldAtStop } from '../../../endpoints/local/index.js';
import { scalingOutcome } from '../../../examples/local-demo/scaling.js';

function connection(local: string, host: string | undefined, err: string): ConnStats {
  return {
    Connect: 1,
    Dropped: 0,
    Ended: 2,
    Err: err,
    Local: local,
    Received: host === undefined ? 0 : 1,
    Remote: '20.0.0.1:5000',
    Retransmits: 0,
    Sent: 1,
    Started: 0,
    ...(host === undefined ? {} : { Host: host }),
  };
}

describe('connections a removed target took with it', () => {
  let stateDir: string;
  beforeEach(() => {
    stateDir = mkdtempSync(join(tmpdir(), 'held-'));
    mkdirSync(join(stateDir, 'logs'));
  });
  afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

  it("reads the peers each removed target's server held at stop, ignoring other lines", () => {
    writeFileSync(
      join(stateDir, 'logs', 'ctraffic-target-5.log'),
      [
        '{"level":30,"msg":"ctraffic server listening"}',
        'meridio supervisor: restarted',
        '{"level":30,"msg":"stopping","open":["10.20.0.2:33758","fd10:20::2:41000"]}',
      ].join('\n'),
    );
    const held = connectionsHeldAtStop(stateDir, ['target-5', 'target-6']);
    expect([...held]).toEqual([
      ['10.20.0.2:33758', 'target-5'],
      ['fd10:20::2:41000', 'target-5'],
    ]);
  });

  it('credits an unanswered connection to the removed target that held it; others stay unanswered', () => {
    const stats = {
      Duration: 10e9,
      ConnStats: [
        connection('10.20.0.2:1', 'target-1', ''),
        connection('10.20.0.2:2', undefined, 'read ECONNRESET'),
        connection('10.20.0.2:3', undefined, 'read ECONNRESET'),
      ],
    } as unknown as Statistics;
    const options = { added: ['target-5'], removed: ['target-5'], longLived: 1 };
    const held = new Map([['10.20.0.2:2', 'target-5']]);
    const outcome = scalingOutcome(stats, { ...options, heldAtRemoval: held });
    expect({
      lost: outcome.lost,
      unanswered: outcome.unanswered,
      survivors: outcome.lostOnSurvivors,
    }).toEqual({
      lost: { 'target-5': 1 },
      unanswered: 1,
      survivors: 0,
    });
  });
});

import { execFileSync } from 'node:child_process';
import { InvalidArgumentError } from '../../../sdk/core/index.js';
import { deleteConntrackByMarks, NetnsNotFoundError } from '../../../sdk/nfqueue/index.js';
import { skipUnlessRoot, useNetnsSandbox } from '../../helpers/netns.js';
import { countMarks, insertEntry } from './conntrack.js';

skipUnlessRoot('the conntrack deletion tests', ['conntrack'])('deleteConntrackByMarks', () => {
  const sandbox = useNetnsSandbox('lbct');

  it('deletes the entries of the given marks in both families and leaves every other entry', async () => {
    const netns = sandbox.name('lb');
    execFileSync('ip', ['netns', 'add', netns]);
    for (let port = 1000; port < 1050; port++) {
      insertEntry(netns, '10.0.0.2', '20.0.0.1', port, 5001 + (port % 4)); // 5001..5004
      insertEntry(netns, 'fd00::2', '2000::1', port, 5001 + (port % 4));
    }
    insertEntry(netns, '10.0.0.2', '20.0.0.1', 2000, 0);
    insertEntry(netns, '10.0.0.2', '20.0.0.1', 2001, 5002 + 0x10000); // same low bits, other mark
    const before = countMarks(netns);
    expect(before.get(5002)).toBe(26);

    await deleteConntrackByMarks([5002, 5004], { netns });
    const after = countMarks(netns);
    expect(after.get(5002)).toBeUndefined();
    expect(after.get(5004)).toBeUndefined();
    expect(after.get(5001)).toBe(before.get(5001));
    expect(after.get(5003)).toBe(before.get(5003));
    expect(after.get(0)).toBe(1);
    expect(after.get(5002 + 0x10000)).toBe(1);

    await deleteConntrackByMarks([5002], { netns }); // nothing carries it any more: fine
    await deleteConntrackByMarks([], { netns });
    expect(countMarks(netns)).toEqual(after);
  });

  it('refuses marks outside 1..2^32-1 and a missing namespace with clear errors', async () => {
    await expect(deleteConntrackByMarks([0])).rejects.toThrow(InvalidArgumentError);
    await expect(deleteConntrackByMarks([2 ** 32])).rejects.toThrow(/integer from 1 to 4294967295/);
    await expect(deleteConntrackByMarks([5001], { netns: sandbox.name('missing') })).rejects.toThrow(
      NetnsNotFoundError,
    );
  });
});

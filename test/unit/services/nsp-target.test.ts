import { InvalidArgumentError } from '../../../sdk/core/index.js';
import { describeTarget, normaliseTarget, sameTarget } from '../../../sdk/services/nsp/index.js';

describe('NSP target normalisation', () => {
  it('identifies a target by its addresses, keeps prefix lengths as sent and orders IPv4 first', () => {
    const target = normaliseTarget({
      ips: ['FD00:0::2/64', '172.16.1.2/24'],
      context: { identifier: '3', b: '2', a: '1' },
    });
    expect(target.key).toBe('172.16.1.2,fd00::2');
    expect(target.ips).toEqual(['172.16.1.2/24', 'fd00::2/64']);
    expect(Object.keys(target.context)).toEqual(['a', 'b', 'identifier']);
    expect(target.identifier).toBe('3');
    expect(normaliseTarget({ ips: ['172.16.1.2'] }).key).toBe(target.key.split(',')[0]);
    expect(describeTarget(target)).toBe('target 172.16.1.2/24,fd00::2/64 (identifier 3)');
  });

  it('compares addresses as sent and the whole context', () => {
    const a = normaliseTarget({ ips: ['172.16.1.2/24'], context: { identifier: '1' } });
    expect(sameTarget(a, normaliseTarget({ ips: ['172.16.1.2/24'], context: { identifier: '1' } }))).toBe(
      true,
    );
    expect(sameTarget(a, normaliseTarget({ ips: ['172.16.1.2/24'], context: { identifier: '2' } }))).toBe(
      false,
    );
    expect(sameTarget(a, normaliseTarget({ ips: ['172.16.1.2'], context: { identifier: '1' } }))).toBe(false);
  });

  it.each([
    [{ ips: [] }, 'a target needs at least one IP address (one per family)'],
    [{}, 'a target needs at least one IP address (one per family)'],
    [
      { ips: ['172.16.1.300'] },
      'target IP "172.16.1.300" is not a valid IP address (write 172.16.1.2, 172.16.1.2/24, fd00::2 or fd00::2/64)',
    ],
    [
      { ips: ['172.16.1.2/24', '172.16.1.3'] },
      'target has two IPv4 addresses (172.16.1.2/24 and 172.16.1.3); a target has one address per family',
    ],
    [
      { ips: ['fd00::2'], context: { identifier: '' } },
      'target context "identifier" is empty: leave it out or give the Maglev slot',
    ],
    [{ ips: ['fd00::2'], context: { '': 'x' } }, 'target context key "" must have 1 to 256 characters'],
    [
      { ips: ['fd00::2'], context: { big: 'x'.repeat(1025) } },
      'target context value of "big" is longer than 1024 characters',
    ],
  ])('%j is refused: %s', (input, message) => {
    expect(() => normaliseTarget(input)).toThrow(new InvalidArgumentError(message));
  });
});

import { type Connection, InvalidArgumentError, ipContextOf } from '../../core/index.js';
import { IDENTIFIER_KEY, type NspTarget } from '../../services/nsp/index.js';

/** The identifier the target sent in its connection's extra context; checked before anything is done. */
export function identifierOf(connection: Connection, maxIdentifier: number): string {
  const identifier = connection.context?.extra_context[IDENTIFIER_KEY] ?? '';
  if (identifier === '') {
    throw new InvalidArgumentError(
      `the request carries no "${IDENTIFIER_KEY}" in its connection's extra context: a target sends its identifier (1 to ${maxIdentifier}) there`,
    );
  }
  const value = Number(identifier);
  if (!/^[1-9][0-9]*$/.test(identifier) || value > maxIdentifier) {
    throw new InvalidArgumentError(
      `the target's identifier "${identifier}" is not a whole number from 1 to ${maxIdentifier}`,
    );
  }
  return identifier;
}

/** The target as the NSP knows it: the addresses the proxy gave it and its identifier. */
export function targetOf(connection: Connection, identifier: string): NspTarget {
  const ips = ipContextOf(connection).src_ip_addrs;
  if (ips.length === 0) {
    throw new InvalidArgumentError(
      'the connection has no address for the target (src_ip_addrs is empty): put the ipam element before nspRegister',
    );
  }
  return { ips: [...ips], context: { [IDENTIFIER_KEY]: identifier } };
}

export function sameTarget(a: NspTarget, b: NspTarget): boolean {
  return (
    a.ips.length === b.ips.length &&
    a.ips.every((ip, index) => ip === b.ips[index]) &&
    a.context[IDENTIFIER_KEY] === b.context[IDENTIFIER_KEY]
  );
}

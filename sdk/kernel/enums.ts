/**
 * The `netlink` package parses known enum values into their key names (`'BLACKHOLE'`, `'toTbl'`) and
 * leaves unknown ones as numbers; this turns either back into the kernel's number.
 */
export function enumNumber(
  mapping: Record<string, string | number>,
  value: string | number | undefined,
): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  const number = mapping[value];
  return typeof number === 'number' ? number : undefined;
}

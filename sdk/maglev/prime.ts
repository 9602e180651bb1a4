/** Primality by trial division: Maglev table sizes are at most a few million, so √M is a few thousand steps. */
export function isPrime(value: number): boolean {
  if (!Number.isInteger(value) || value < 2) return false;
  if (value % 2 === 0) return value === 2;
  if (value % 3 === 0) return value === 3;
  for (let divisor = 5; divisor * divisor <= value; divisor += 6) {
    if (value % divisor === 0 || value % (divisor + 2) === 0) return false;
  }
  return true;
}

/** The largest prime ≤ value (Meridio sizes its table as the largest prime ≤ 100·N), or undefined below 2. */
export function largestPrimeAtMost(value: number): number | undefined {
  for (let candidate = Math.floor(value); candidate >= 2; candidate--) {
    if (isPrime(candidate)) return candidate;
  }
  return undefined;
}

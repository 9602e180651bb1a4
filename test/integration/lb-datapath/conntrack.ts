/** Reads and seeds a namespace's conntrack table with the `conntrack` tool (tests only). */
import { execFileSync } from 'node:child_process';

/** The mark of every conntrack entry in the namespace (both families), one per entry. */
export function conntrackMarks(netns: string): number[] {
  const listing = execFileSync('ip', ['netns', 'exec', netns, 'conntrack', '-L', '-f', 'ipv4'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  }).concat(
    execFileSync('ip', ['netns', 'exec', netns, 'conntrack', '-L', '-f', 'ipv6'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  );
  return listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Number(/\bmark=(\d+)/.exec(line)?.[1] ?? 0));
}

/** How many entries carry each mark. */
export function countMarks(netns: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const mark of conntrackMarks(netns)) counts.set(mark, (counts.get(mark) ?? 0) + 1);
  return counts;
}

/** Adds an established UDP entry with `mark` (source port distinguishes entries). */
export function insertEntry(
  netns: string,
  source: string,
  destination: string,
  sourcePort: number,
  mark: number,
): void {
  execFileSync(
    'ip',
    [
      'netns',
      'exec',
      netns,
      'conntrack',
      '-I',
      '-p',
      'udp',
      '-s',
      source,
      '-d',
      destination,
      '--sport',
      `${sourcePort}`,
      '--dport',
      '9',
      '-t',
      '600',
      '--mark',
      `${mark}`,
    ],
    { stdio: 'ignore' },
  );
}

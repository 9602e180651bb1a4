/**
 * The IPAM's allocations in SQLite, one row per subnet, written with synchronous=FULL so an allocation
 * that was answered survives a killed process and a power loss. The file is locked for one process:
 * the allocator indexes the allocated space in memory, and a second IPAM on the same file would not
 * see the first one's allocations. Addresses are also stored as fixed-width hex, whose text order is
 * their numeric order, for queries by range.
 */
import {
  familyBits,
  formatPrefix,
  openDatabase,
  parsePrefix,
  prefixEnd,
  type IpFamily,
  type IpPrefix,
  type SqliteDatabase,
} from '../../sdk/services/common/index.js';

export interface Allocation {
  readonly pool: IpPrefix;
  readonly subnet: IpPrefix;
  readonly owner: string | undefined;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

const SCHEMA = `
  CREATE TABLE allocations (
    pool          TEXT NOT NULL,
    subnet        TEXT NOT NULL,
    family        INTEGER NOT NULL,
    start_hex     TEXT NOT NULL,
    end_hex       TEXT NOT NULL,
    prefix_length INTEGER NOT NULL,
    owner         TEXT,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (pool, subnet)
  );
  CREATE INDEX allocations_range ON allocations (family, start_hex);
  CREATE UNIQUE INDEX allocations_owner ON allocations (pool, prefix_length, owner) WHERE owner IS NOT NULL;
`;

interface Row {
  pool: string;
  subnet: string;
  owner: string | null;
  created_at: number;
}

function hex(family: IpFamily, value: bigint): string {
  return value.toString(16).padStart(familyBits(family) / 4, '0');
}

function toAllocation(row: Row): Allocation {
  return {
    pool: parsePrefix(row.pool),
    subnet: parsePrefix(row.subnet),
    owner: row.owner ?? undefined,
    createdAt: row.created_at,
  };
}

export class SqliteAllocationStore {
  private readonly statements;

  private constructor(private readonly db: SqliteDatabase) {
    this.statements = {
      byOwner: db.prepare<[string, number, string], Row>(
        'SELECT pool, subnet, owner, created_at FROM allocations WHERE pool = ? AND prefix_length = ? AND owner = ?',
      ),
      insert: db.prepare(
        `INSERT INTO allocations (pool, subnet, family, start_hex, end_hex, prefix_length, owner, created_at)
         VALUES (@pool, @subnet, @family, @start, @end, @length, @owner, @createdAt)`,
      ),
      remove: db.prepare('DELETE FROM allocations WHERE pool = ? AND subnet = ?'),
      all: db.prepare<[], Row>(
        'SELECT pool, subnet, owner, created_at FROM allocations ORDER BY family, start_hex',
      ),
    };
  }

  /** Opens (or creates) the database, locked for this process. */
  static open(path: string): SqliteAllocationStore {
    return new SqliteAllocationStore(
      openDatabase({
        path,
        what: 'IPAM database',
        synchronous: 'FULL',
        exclusive: true,
        schema: SCHEMA,
        version: 1,
      }),
    );
  }

  /** Runs `work` in one transaction: all its writes are stored with one disk sync, or none. */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work)();
  }

  byOwner(pool: IpPrefix, length: number, owner: string): Allocation | undefined {
    const row = this.statements.byOwner.get(formatPrefix(pool), length, owner);
    return row && toAllocation(row);
  }

  insert(allocation: Allocation): void {
    const { subnet } = allocation;
    this.statements.insert.run({
      pool: formatPrefix(allocation.pool),
      subnet: formatPrefix(subnet),
      family: subnet.family,
      start: hex(subnet.family, subnet.network),
      end: hex(subnet.family, prefixEnd(subnet)),
      length: subnet.length,
      owner: allocation.owner ?? null,
      createdAt: allocation.createdAt,
    });
  }

  remove(pool: IpPrefix, subnet: IpPrefix): boolean {
    return this.statements.remove.run(formatPrefix(pool), formatPrefix(subnet)).changes > 0;
  }

  all(): Allocation[] {
    return this.statements.all.all().map(toAllocation);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

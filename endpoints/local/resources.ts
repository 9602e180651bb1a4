/**
 * What an instance made outside its state directory — network namespaces — recorded before each is
 * made, so `down` removes them even when the supervisor crashed halfway. Processes need no record:
 * every process of an instance carries its state directory in its environment (`MERIDIO_LOCAL_STATE_DIR`)
 * and is found by that.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

export const INSTANCE_ENV = 'MERIDIO_LOCAL_STATE_DIR';

interface RecordFile {
  readonly namespaces: readonly string[];
}

export function readRecordedNamespaces(path: string): string[] {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<RecordFile>;
    return Array.isArray(parsed.namespaces) ? parsed.namespaces.filter((n) => typeof n === 'string') : [];
  } catch {
    return [];
  }
}

export class ResourceRecord {
  private readonly namespaces: Set<string>;

  constructor(private readonly path: string) {
    this.namespaces = new Set(readRecordedNamespaces(path));
  }

  /** Records a namespace before it is made. */
  addNamespace(name: string): void {
    this.namespaces.add(name);
    this.save();
  }

  /** Forgets a namespace after it was deleted. */
  removeNamespace(name: string): void {
    if (this.namespaces.delete(name)) this.save();
  }

  list(): string[] {
    return [...this.namespaces];
  }

  private save(): void {
    const temporary = `${this.path}.tmp`;
    writeFileSync(
      temporary,
      `${JSON.stringify({ namespaces: [...this.namespaces] } satisfies RecordFile)}\n`,
    );
    renameSync(temporary, this.path);
  }
}

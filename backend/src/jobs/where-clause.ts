import { type PagePosition } from './page-cursor';

/** Builds `WHERE` clauses for the filters given (only those, so each shape gets its own plan). */
export class Where {
  readonly clauses: string[] = [];
  readonly values: unknown[] = [];

  add(clause: (placeholder: string) => string, value: unknown): this {
    if (value === undefined || value === null) return this;
    this.values.push(value);
    this.clauses.push(clause(`$${this.values.length}`));
    return this;
  }

  raw(clause: string): this {
    this.clauses.push(clause);
    return this;
  }

  /** Rows past a keyset position: `<` for newest-first pages, `>` for oldest-first walks. */
  addPosition(columns: string, position: PagePosition | undefined, direction: '<' | '>' = '<'): this {
    if (!position) return this;
    this.values.push(position.at, position.id);
    const n = this.values.length;
    this.clauses.push(`(${columns}) ${direction} ($${n - 1}::timestamptz, $${n}::uuid)`);
    return this;
  }

  get sql(): string {
    return this.clauses.length > 0 ? `WHERE ${this.clauses.join(' AND ')}` : '';
  }

  limit(n: number): string {
    this.values.push(n);
    return `LIMIT $${this.values.length}`;
  }
}

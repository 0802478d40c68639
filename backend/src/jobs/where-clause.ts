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
    return this.sqlWith();
  }

  /** The clause with more conditions ANDed on, for one statement of several sharing the values. */
  sqlWith(...extra: string[]): string {
    const clauses = [...this.clauses, ...extra];
    return clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  }

  limit(n: number): string {
    this.values.push(n);
    return `LIMIT $${this.values.length}`;
  }
}

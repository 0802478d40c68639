import { catalogue, readSnapshot, snapshot, staleSnapshots } from '../src/sql-catalogue';

describe('the queue statements committed as SQL', () => {
  it.each(catalogue().map((statement) => [statement.name, statement] as const))(
    '%s matches backend/src/queue/sql (npm run sql:snapshots rewrites it)',
    (_name, statement) => {
      expect(readSnapshot(statement)).toBe(snapshot(statement));
    },
  );

  it('has a snapshot only for statements that exist', () => {
    expect(staleSnapshots()).toEqual([]);
  });

  it('names every statement once', () => {
    const names = catalogue().map((statement) => statement.name);
    expect(new Set(names).size).toBe(names.length);
  });
});

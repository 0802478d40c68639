import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { catalogue, snapshot, snapshotFile, SNAPSHOT_DIR, staleSnapshots } from './sql-catalogue';

/** Rewrites backend/src/queue/sql/*.sql from the queue module's statements (see sql-catalogue.ts). */
mkdirSync(SNAPSHOT_DIR, { recursive: true });
for (const statement of catalogue()) writeFileSync(snapshotFile(statement), snapshot(statement));
for (const stale of staleSnapshots()) rmSync(path.join(SNAPSHOT_DIR, stale));
console.log(`wrote ${catalogue().length} statements to ${path.relative(process.cwd(), SNAPSHOT_DIR)}`);

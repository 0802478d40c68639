import { type Pool } from 'pg';
import { type JobFiles } from '../handlers/job-handler';

/** Reads a job's uploaded file, only within the job's own tenant. */
export function jobFileReader(pool: Pool, tenantId: string): JobFiles {
  return {
    async read(fileId) {
      const { rows } = await pool.query<{ filename: string; content: Buffer }>(
        'SELECT filename, content FROM job_files WHERE id = $1 AND tenant_id = $2',
        [fileId, tenantId],
      );
      if (rows.length === 0) throw new Error(`file ${fileId} not found`);
      return rows[0];
    },
  };
}

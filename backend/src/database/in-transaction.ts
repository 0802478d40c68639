import { type Pool, type PoolClient } from 'pg';

/** The transaction `work` runs in: its connection, and a way to end it without keeping anything. */
export interface Transaction {
  client: PoolClient;
  /** Ends the transaction with ROLLBACK instead of COMMIT when `work` returns. */
  rollback(): void;
}

/**
 * Runs `work` on one pooled connection between `begin` (BEGIN, or e.g. `BEGIN READ ONLY; SET
 * LOCAL …`) and COMMIT; on an error, ROLLBACK and rethrow. A connection that saw an error is
 * discarded rather than returned to the pool: it may be broken, or mid-way through a statement
 * the server is still cancelling. The one way this codebase writes a transaction by hand.
 *
 * pg's pool listens for a connection's 'error' only while it sits idle in the pool; a client that
 * is checked out and loses its server (a restart, a terminated backend) emits 'error' with no
 * listener, which crashes the process. So the transaction listens for it while it holds one.
 */
export async function inTransaction<T>(
  pool: Pool,
  work: (transaction: Transaction) => Promise<T>,
  begin = 'BEGIN',
): Promise<T> {
  const client = await pool.connect();
  let failure: Error | undefined;
  // The statement in flight (if any) rejects with the same error; one sent after it is refused.
  const onError = (error: Error): void => void (failure ??= error);
  client.on('error', onError);
  try {
    await client.query(begin);
    let rollback = false;
    const value = await work({ client, rollback: () => (rollback = true) });
    await client.query(rollback ? 'ROLLBACK' : 'COMMIT');
    return value;
  } catch (error) {
    failure ??= error as Error;
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.off('error', onError);
    client.release(failure);
  }
}

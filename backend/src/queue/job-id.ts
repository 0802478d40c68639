import { v7 } from 'uuid';

/**
 * A new job's id: a UUIDv7, whose first 48 bits are the time in ms and whose rest is random with
 * a counter, so ids made one after another sort in that order. Every claim and completion adds a
 * primary-key entry for its job's new row version; with time-ordered ids those land on the few
 * index pages a backlog is worked from, where random (v4) ids scattered them over the whole index
 * (docs/storage.md: with 1,000,000 jobs queued, 13 % more jobs/s and a fifth less PostgreSQL CPU a
 * job). They also give jobs of one run_at and priority a first-in, first-out order in the claim.
 */
export const newJobId = (): string => v7();

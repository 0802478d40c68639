import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';
import { JobCountersAndCaps1764100000000 } from './1764100000000-JobCountersAndCaps';
import { RateLimitBuckets1764200000000 } from './1764200000000-RateLimitBuckets';
import { JobFiles1764300000000 } from './1764300000000-JobFiles';
import { WorkersRegistry1764400000000 } from './1764400000000-WorkersRegistry';
import { JobTraceParent1764500000000 } from './1764500000000-JobTraceParent';
import { JobListFilterIndexes1764650000000 } from './1764650000000-JobListFilterIndexes';
import { ShortKeyPrefixes1764660000000 } from './1764660000000-ShortKeyPrefixes';
import { JobFilesByTenant1764700000000 } from './1764700000000-JobFilesByTenant';
import { JobTimeouts1764710000000 } from './1764710000000-JobTimeouts';
import { JobsRunningByTenant1764720000000 } from './1764720000000-JobsRunningByTenant';
import { ScheduledJobs1764800000000 } from './1764800000000-ScheduledJobs';
import { HotHeartbeats1764810000000 } from './1764810000000-HotHeartbeats';
import { PruneByFinishedAt1764820000000 } from './1764820000000-PruneByFinishedAt';
import { ListingSkipsRunning1764830000000 } from './1764830000000-ListingSkipsRunning';

/** Every migration, oldest first. Listed explicitly so ts-jest and compiled code load the same set. */
export const MIGRATIONS = [
  InitialSchema1764000000000,
  JobCountersAndCaps1764100000000,
  RateLimitBuckets1764200000000,
  JobFiles1764300000000,
  WorkersRegistry1764400000000,
  JobTraceParent1764500000000,
  JobListFilterIndexes1764650000000,
  ShortKeyPrefixes1764660000000,
  JobFilesByTenant1764700000000,
  JobTimeouts1764710000000,
  JobsRunningByTenant1764720000000,
  ScheduledJobs1764800000000,
  HotHeartbeats1764810000000,
  PruneByFinishedAt1764820000000,
  ListingSkipsRunning1764830000000,
];

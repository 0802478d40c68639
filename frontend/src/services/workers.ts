import { type Schemas } from '@conveyor/contracts';
import { useQuery } from '@tanstack/react-query';
import { api } from '../lib/api';
import { queryKeys } from './queryKeys';

export type Workers = Schemas['WorkersDto'];
export type Worker = Schemas['WorkerDto'];

/** The registry changes with heartbeats, not job events: read on the same slow clock as health. */
const WORKERS_EVERY_MS = 10_000;

export const fetchWorkers = () => api<Workers>('GET', '/api/v1/workers');

export const useWorkers = () =>
  useQuery({ queryKey: queryKeys.workers, queryFn: fetchWorkers, refetchInterval: WORKERS_EVERY_MS });

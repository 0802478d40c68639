import { InitialSchema1764000000000 } from './1764000000000-InitialSchema';

/** Every migration, oldest first. Listed explicitly so ts-jest and compiled code load the same set. */
export const MIGRATIONS = [InitialSchema1764000000000];

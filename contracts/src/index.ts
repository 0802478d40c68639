import type { components } from './api';

export * from './event-map';
export type * from './api';

/** The API's response and request bodies by DTO name, e.g. `Schemas['JobDto']`. */
export type Schemas = components['schemas'];

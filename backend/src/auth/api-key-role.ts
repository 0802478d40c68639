export const API_KEY_ROLES = Object.freeze(['tenant', 'admin'] as const);
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

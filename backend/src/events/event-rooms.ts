/**
 * Rooms of live-event subscribers, whatever their transport: a tenant's room gets its events,
 * the admins' room every tenant's, a job's room one job's (a socket.io detail page).
 */
export const ADMIN_ROOM = 'admins';
export const tenantRoom = (tenantId: string): string => `tenant:${tenantId}`;
export const jobRoom = (jobId: string): string => `job:${jobId}`;
export const isJobRoom = (room: string): boolean => room.startsWith('job:');
export const isTenantRoom = (room: string): boolean => room.startsWith('tenant:');

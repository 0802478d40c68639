import { type IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * helmet's headers, worked out once. With options that set no per-request value (no CSP nonce)
 * helmet sets the same headers on every response, yet it runs its dozen middlewares, each a
 * closure and a call, on every request; this sets the same headers in one call. The headers
 * are read off a response helmet is run on at start-up, so they follow helmet's own defaults.
 */
export function securityHeaders(options: HelmetOptions): (response: ServerResponse) => void {
  const request = {} as IncomingMessage;
  const probe = new ServerResponse(request);
  let synchronous = false;
  helmet(options)(request, probe, (error?: unknown) => {
    if (error) throw error;
    synchronous = true;
  });
  // A helmet that went asynchronous or per-request would make these headers wrong: fail loudly.
  if (!synchronous) throw new Error('helmet did not finish synchronously: its headers cannot be precomputed');
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(probe.getHeaders())) headers.set(name, String(value));
  // On the raw response: Node merges them into whatever Fastify writes, even for a hijacked reply.
  return (response) => void response.setHeaders(headers);
}

import {
  createServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import { type AppConfig } from '../config/app-config';
import { ConfigValidationError, loadConfig } from '../config/load-config';

/** Entry points call this first: a bad environment is a message and exit code 1, never a stack trace. */
export function loadConfigOrExit(): AppConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigValidationError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}

/**
 * The API and worker processes need a database URL; only the launcher and the scripts can
 * start the embedded one. Exits 1 with that message rather than a stack trace from deep in DI.
 */
export function loadServerConfigOrExit(): AppConfig & { DATABASE_URL: string } {
  const config = loadConfigOrExit();
  if (!config.DATABASE_URL) {
    console.error(
      'DATABASE_URL is required by the API and worker processes (npm start sets it for the ones it starts).',
    );
    process.exit(1);
  }
  return config as AppConfig & { DATABASE_URL: string };
}

/**
 * Runs `shutdown` once on the first SIGINT or SIGTERM (or when the parent that forked us goes
 * away), then exits 0, or 1 when shutdown failed. Later signals are ignored: shutdown is
 * already under way and has its own deadlines.
 */
export function onShutdownSignal(shutdown: (reason: string) => Promise<void>): void {
  let started = false;
  const run = (reason: string): void => {
    if (started) return;
    started = true;
    shutdown(reason).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`Shutdown failed: ${(error as Error).stack ?? String(error)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => run('SIGINT'));
  process.on('SIGTERM', () => run('SIGTERM'));
  // A forked child whose launcher died (even by SIGKILL) must not live on as an orphan.
  if (process.send) process.on('disconnect', () => run('parent exited'));
}

/**
 * Makes a closing HTTP server let go of its clients: a kept-alive connection would otherwise
 * carry new requests for as long as its client sends them, and `close()` would wait forever
 * (a replica under a load balancer then dies by SIGKILL mid-request at the end of its grace).
 * Every response from now on says `Connection: close`, and connections idle between requests
 * are closed now and every 100 ms until the server has closed.
 */
export function stopKeepingAlive(server: HttpServer): void {
  server.on('request', (_request: IncomingMessage, response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  });
  server.closeIdleConnections();
  const timer = setInterval(() => server.closeIdleConnections(), 100);
  timer.unref();
  server.once('close', () => clearInterval(timer));
}

export class PortInUseError extends Error {
  override name = 'PortInUseError';
  constructor(
    readonly port: number,
    variable = 'PORT',
  ) {
    super(`Port ${port} is already in use; stop whatever holds it or set ${variable} to a free port.`);
  }
}

/** Whether this host can listen on IPv6 at all (a container may have it turned off). */
function ipv6Listenable(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::', () => probe.close(() => resolve(true)));
  });
}

/**
 * Starts listening on every address, turning EADDRINUSE into a PortInUseError that names the
 * port. Fastify, unlike Node, listens on localhost alone when given no host: `::` takes IPv4 as
 * well where the host has IPv6, and `0.0.0.0` serves a host (or container) without it.
 */
export async function listenOn(
  app: { listen(port: number, host: string): Promise<unknown> },
  port: number,
): Promise<void> {
  const host = (await ipv6Listenable()) ? '::' : '0.0.0.0';
  try {
    await app.listen(port, host);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError(port);
    throw error;
  }
}

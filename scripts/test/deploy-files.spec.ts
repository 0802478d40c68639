import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';
import { parse, parseAllDocuments } from 'yaml';
import { AppConfig } from '../../backend/src/config/app-config';
import { freePort } from '../../backend/src/database/embedded/embedded-database';
import { REPO_ROOT, waitUntil } from '../../backend/test/support/processes';

interface ComposeService {
  image?: string;
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number | string; resources?: { limits?: Record<string, unknown> } };
  build?: { dockerfile: string };
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  logging?: { driver: string; options: Record<string, string> };
  stop_grace_period?: string;
}

function compose(file: string): { services: Record<string, ComposeService> } {
  return parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'), { merge: true });
}

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');
const COMPOSE_FILES = ['docker-compose.dev.yml', 'docker-compose.prod.yml'];
const healthUrl = (service: ComposeService): string => service.healthcheck?.test.join(' ') ?? '';

// No Docker engine runs here (nor the compose plugin), so the files are checked by structure.
describe.each(COMPOSE_FILES)('%s', (file) => {
  const { services } = compose(file);

  it('starts api and workers only after migrations succeed, which wait for a healthy postgres', () => {
    expect(services.migrate.command).toEqual(['node', 'dist/scripts/src/migrate.js', 'up']);
    expect(services.migrate.depends_on?.postgres.condition).toBe('service_healthy');
    expect(services.migrate.restart).toBe('no');
    expect(services.api.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(services.worker.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(healthUrl(services.postgres)).toContain('pg_isready');
  });

  it('checks the API on /ready and every worker on its own /health, on the port it serves it on', () => {
    expect(healthUrl(services.api)).toContain('http://127.0.0.1:8000/ready');
    const port = services.worker.environment?.WORKER_METRICS_PORT;
    expect(port).toMatch(/^[1-9]\d*$/);
    expect(healthUrl(services.worker)).toContain(`http://127.0.0.1:${port}/health`);
  });

  it('scales workers by WORKER_REPLICAS and gives them longer to stop than their grace period', () => {
    expect(services.worker.deploy?.replicas).toMatch(/^\$\{WORKER_REPLICAS:-[1-9]\d*\}$/);
    expect(services.worker.stop_grace_period).toBe('40s');
    for (const service of Object.values(services)) {
      if (service.build) expect(() => read(service.build!.dockerfile)).not.toThrow();
    }
  });
});

describe('docker-compose.dev.yml', () => {
  const { services } = compose('docker-compose.dev.yml');

  it('runs the mounted source: tsc --watch compiles, node --watch restarts the API and workers', () => {
    expect(Object.keys(services).sort()).toEqual([
      'api',
      'compiler',
      'deps',
      'frontend',
      'migrate',
      'postgres',
      'worker',
    ]);
    expect(services.compiler.command?.join(' ')).toMatch(/^npx tsc -p tsconfig\.json --watch/);
    expect(services.api.command).toEqual(['node', '--watch', 'dist/backend/src/main.api.js']);
    expect(services.worker.command).toEqual(['node', '--watch', 'dist/backend/src/main.worker.js']);
    for (const name of ['deps', 'compiler', 'migrate', 'api', 'worker', 'frontend'])
      expect(services[name].volumes).toContain('.:/app');
    // Dependencies in a volume, so the container never runs (or writes) the host's node_modules.
    expect(services.api.volumes).toContain('node_modules:/app/node_modules');
  });

  it('serves the dashboard from the Vite dev server on 3000, proxying to the api service', () => {
    expect(services.frontend.command?.join(' ')).toMatch(/^npm run dev -w frontend -- .*--port 3000/);
    expect(services.frontend.ports).toEqual(['127.0.0.1:3000:3000']);
    expect(services.frontend.environment?.API_PROXY_TARGET).toBe('http://api:8000');
  });

  it("publishes every port, PostgreSQL's included, on 127.0.0.1 only", () => {
    expect(services.postgres.ports).toEqual(['127.0.0.1:5432:5432']);
    for (const service of Object.values(services))
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:/);
  });
});

describe('docker-compose.prod.yml', () => {
  const { services } = compose('docker-compose.prod.yml');
  const longRunning = Object.entries(services).filter(([, service]) => service.restart !== 'no');

  it('runs postgres, migrate, api, worker and the dashboard from the images', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'frontend', 'migrate', 'postgres', 'worker']);
    expect(services.api.command).toEqual(['node', 'dist/backend/src/main.api.js']);
    expect(services.worker.command).toEqual(['node', 'dist/backend/src/main.worker.js']);
    expect(services.frontend.build?.dockerfile).toBe('deploy/docker/frontend.Dockerfile');
  });

  it('gives every long-running service a health check, a restart policy, limits and rotated logs', () => {
    expect(longRunning.map(([name]) => name).sort()).toEqual(['api', 'frontend', 'postgres', 'worker']);
    for (const [name, service] of longRunning) {
      expect([name, service.healthcheck?.test.length]).toEqual([name, expect.any(Number)]);
      expect([name, service.restart]).toEqual([name, 'unless-stopped']);
      expect([name, service.deploy?.resources?.limits]).toEqual([
        name,
        { cpus: expect.any(String), memory: expect.any(String) },
      ]);
      expect([name, service.logging?.options]).toEqual([name, { 'max-size': '10m', 'max-file': '3' }]);
    }
    expect(healthUrl(services.frontend)).toContain('http://127.0.0.1:8080/healthz');
  });

  it('requires POSTGRES_PASSWORD instead of falling back to a default', () => {
    const text = read('docker-compose.prod.yml');
    expect(text).not.toMatch(/POSTGRES_PASSWORD:-/);
    expect(services.postgres.environment?.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?.+\}$/);
    expect(services.postgres.ports).toBeUndefined();
  });
});

describe('variables the Compose files read', () => {
  it('are all listed in .env.example', () => {
    const documented = new Set([...read('.env.example').matchAll(/^([A-Z_][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    for (const file of COMPOSE_FILES) {
      // ${VAR}, ${VAR:-default}, ${VAR:?message} and $VAR, nested ones too; $$ is a literal dollar.
      const names = [...read(file).matchAll(/(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect([file, name, documented.has(name)]).toEqual([file, name, true]);
    }
  });
});

describe('nginx in front of the dashboard', () => {
  const conf = read('deploy/docker/nginx.conf');
  it('proxies the API and upgrades socket.io connections', () => {
    expect(conf).toMatch(/location ~ \^\/\(api\|health\|ready\|docs/);
    expect(conf).toMatch(/location \/socket\.io\/[\s\S]*Upgrade \$http_upgrade/);
    expect(conf).toContain('try_files $uri /index.html');
  });

  it('upgrades /ws, logging it without the ?token= query, and streams SSE unbuffered and uncompressed', () => {
    const block = (location: string) => conf.slice(conf.indexOf(`location ${location} {`)).split('\n  }')[0];
    expect(block('= /ws')).toMatch(/Upgrade \$http_upgrade[\s\S]*Connection \$connection_upgrade/);
    expect(block('= /ws')).toContain('conveyor_without_query');
    expect(conf).toMatch(/log_format conveyor_without_query [^;]*\$uri [^;]*;/);
    expect(conf).not.toMatch(/log_format conveyor_without_query [^;]*\$request[ "]/);
    const events = block('= /api/v1/events');
    for (const directive of [
      'proxy_buffering off;',
      'gzip off;',
      'proxy_http_version 1.1;',
      'proxy_read_timeout 1h;',
    ])
      expect(events).toContain(directive);
  });

  it('does not serve /metrics, which lists every tenant and belongs to each replica', () => {
    expect(conf).toMatch(/location = \/metrics \{\s*return 404;\s*\}/);
    expect(conf).not.toMatch(/location ~ [^{]*metrics/);
  });

  it('routes as intended when nginx is installed: API paths proxied, /metrics 404, the rest the SPA', async () => {
    const nginx = spawnSync('nginx', ['-v'], { encoding: 'utf8' });
    if (nginx.error) {
      console.log('nginx is not installed: skipping the live routing check');
      return;
    }
    const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-nginx-'));
    // nginx's workers may run as another user (nobody, as root starts them): let them read it.
    chmodSync(dir, 0o755);
    const api = createServer((req, res) => {
      if (req.url !== '/api/v1/events') return res.end(`api ${req.url}`);
      // An SSE stream that sends one event and stays open: it must come through before the end.
      // No X-Accel-Buffering here (the API sends it): the location's own settings must suffice.
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('event: job_submitted\ndata: {}\n\n');
      setTimeout(() => res.end(), 5_000).unref();
    });
    const sockets = new WebSocketServer({ server: api, path: '/ws' });
    sockets.on('connection', (socket, request) => socket.send(`ws ${request.url}`));
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const [apiPort, nginxPort] = [(api.address() as AddressInfo).port, await freePort()];
    mkdirSync(path.join(dir, 'html'));
    writeFileSync(path.join(dir, 'html/index.html'), 'the dashboard');
    // The shipped server block as is, but for where it listens, its web root and the API's address.
    writeFileSync(
      path.join(dir, 'site.conf'),
      conf
        .replace('listen 8080;', `listen 127.0.0.1:${nginxPort};`)
        .replace('root /usr/share/nginx/html;', `root ${dir}/html;`)
        .replaceAll('http://api:8000', `http://127.0.0.1:${apiPort}`),
    );
    writeFileSync(
      path.join(dir, 'nginx.conf'),
      `pid ${dir}/nginx.pid; error_log ${dir}/error.log; daemon on;
       events {}
       http { access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; include ${dir}/site.conf; }`,
    );
    const run = (...args: string[]) =>
      spawnSync('nginx', ['-p', dir, '-c', `${dir}/nginx.conf`, ...args], { encoding: 'utf8' });
    expect(run('-t').status).toBe(0);
    expect(run().status).toBe(0);
    try {
      const get = async (route: string) => {
        const response = await fetch(`http://127.0.0.1:${nginxPort}${route}`);
        return `${response.status} ${await response.text()}`;
      };
      await waitUntil(
        'nginx answers',
        async () => (await get('/health').catch(() => '')) === '200 api /health',
      );
      expect(await get('/api/v1/jobs?limit=1')).toBe('200 api /api/v1/jobs?limit=1');
      expect(await get('/docs-json')).toBe('200 api /docs-json');
      expect(await get('/metrics')).toMatch(/^404 /);
      expect(await get('/healthz')).toBe('200 ok');
      expect(await get('/jobs/123')).toBe('200 the dashboard');

      const stream = await fetch(`http://127.0.0.1:${nginxPort}/api/v1/events`);
      const reader = stream.body!.getReader();
      const first = await Promise.race([
        reader.read().then(({ value }) => Buffer.from(value!).toString()),
        new Promise<string>((resolve) => setTimeout(() => resolve('nothing within 2 s: buffered'), 2_000)),
      ]);
      expect(first).toBe('event: job_submitted\ndata: {}\n\n');
      await reader.cancel();

      const socket = new WebSocket(`ws://127.0.0.1:${nginxPort}/ws?token=secret`);
      const greeting = await new Promise<string>((resolve, reject) => {
        socket.once('message', (data) => resolve(data.toString()));
        socket.once('error', reject);
      });
      expect(greeting).toBe('ws /ws?token=secret');
      socket.close();
    } finally {
      run('-s', 'stop');
      sockets.close();
      api.closeAllConnections();
      api.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('.env.example', () => {
  it('documents every configuration variable', () => {
    const documented = new Set([...read('.env.example').matchAll(/^([A-Z_]+)=/gm)].map((m) => m[1]));
    for (const key of [...Object.keys(new AppConfig()), 'DATABASE_URL']) expect(documented).toContain(key);
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form YAML
type Manifest = Record<string, any>;

const hasKubectl = !spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).error;

/** `kubectl kustomize` of an overlay in a scratch copy of deploy/k8s, with `files` written into it first. */
function kustomize(overlay: string, files: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-k8s-'));
  try {
    cpSync(path.join(REPO_ROOT, 'deploy/k8s'), dir, {
      recursive: true,
      // The operator's own secret file, if this checkout has one, stays out of the copy.
      filter: (source) => path.basename(source) !== 'database.env',
    });
    for (const [file, text] of Object.entries(files)) writeFileSync(path.join(dir, file), text);
    const run = spawnSync('kubectl', ['kustomize', path.join(dir, 'overlays', overlay)], {
      encoding: 'utf8',
    });
    const objects: Manifest[] =
      run.status === 0 ? parseAllDocuments(run.stdout).map((doc) => doc.toJS() as Manifest) : [];
    return { status: run.status, stderr: run.stderr, objects };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const PROD_DATABASE_URL = 'postgres://conveyor:operator-secret@db.internal:5432/conveyor?sslmode=require';
const kindsOf = (objects: Manifest[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const BASE_KINDS = [
  'ConfigMap/conveyor-config',
  'Deployment/conveyor-api',
  'Deployment/conveyor-dashboard',
  'Deployment/conveyor-worker',
  'HorizontalPodAutoscaler/conveyor-api',
  'HorizontalPodAutoscaler/conveyor-worker',
  'Ingress/conveyor',
  'Job/conveyor-migrate',
  'Namespace/conveyor',
  'NetworkPolicy/conveyor-api-ingress',
  'NetworkPolicy/conveyor-dashboard-ingress',
  'NetworkPolicy/conveyor-default-deny-ingress',
  'NetworkPolicy/conveyor-egress-without-database-access',
  'NetworkPolicy/conveyor-worker-ingress',
  'PodDisruptionBudget/conveyor-api',
  'PodDisruptionBudget/conveyor-dashboard',
  'PodDisruptionBudget/conveyor-worker',
  'Service/api',
  'Service/conveyor-dashboard',
];

(hasKubectl ? describe : describe.skip)('Kubernetes overlays, as kubectl kustomize renders them', () => {
  const dev = kustomize('dev');
  const prod = kustomize('prod', { 'overlays/prod/database.env': `DATABASE_URL=${PROD_DATABASE_URL}\n` });
  const find = (objects: Manifest[], kind: string, name: string): Manifest =>
    objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const podSpecs = (objects: Manifest[]): Array<[string, Manifest]> =>
    objects
      .filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind))
      .map((o) => [`${o.kind}/${o.metadata.name}`, o.spec.template.spec]);

  it('dev: the base, plus a PostgreSQL StatefulSet, its Service and policy, and generated dev secrets', () => {
    expect(dev.stderr).toBe('');
    const kinds = kindsOf(dev.objects).map((k) => k.replace(/^(Secret\/[a-z-]+)-[a-z0-9]{10}$/, '$1'));
    expect(kinds).toEqual(
      [
        ...BASE_KINDS,
        'NetworkPolicy/postgres-ingress',
        'Secret/conveyor-database',
        'Secret/postgres-credentials',
        'Service/postgres',
        'StatefulSet/postgres',
      ].sort(),
    );
  });

  it('prod: the base and the operator-provided database secret, with no PostgreSQL of its own', () => {
    expect(prod.stderr).toBe('');
    const kinds = kindsOf(prod.objects).map((k) => k.replace(/^(Secret\/[a-z-]+)-[a-z0-9]{10}$/, '$1'));
    expect(kinds).toEqual([...BASE_KINDS, 'Secret/conveyor-database'].sort());
    const secret = prod.objects.find((o) => o.kind === 'Secret')!;
    expect(Buffer.from(secret.data.DATABASE_URL, 'base64').toString()).toBe(PROD_DATABASE_URL);
    // Every reference to the generated secret carries its hashed name, so pods roll when it changes.
    const refs = podSpecs(prod.objects).flatMap(([, spec]) =>
      spec.containers.flatMap((c: Manifest) => c.envFrom ?? []).filter((e: Manifest) => e.secretRef),
    );
    expect(refs.length).toBe(3);
    for (const ref of refs) expect(ref.secretRef.name).toBe(secret.metadata.name);
  });

  it('prod refuses to render until the operator creates its database.env', () => {
    const refused = kustomize('prod');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain('database.env');
    expect(read('.gitignore')).toContain('deploy/k8s/overlays/prod/database.env');
    expect(JSON.stringify(prod.objects)).not.toMatch(/change-me|conveyor-dev/i);
  });

  it.each(['dev', 'prod'])(
    '%s: every pod runs non-root, read-only, with resources; every Deployment has probes',
    (name) => {
      const objects = name === 'dev' ? dev.objects : prod.objects;
      for (const [what, spec] of podSpecs(objects)) {
        expect([what, spec.securityContext.runAsNonRoot, spec.securityContext.runAsUser]).toEqual([
          what,
          true,
          expect.any(Number),
        ]);
        for (const container of spec.containers) {
          expect([what, container.securityContext]).toMatchObject([
            what,
            {
              readOnlyRootFilesystem: true,
              allowPrivilegeEscalation: false,
              capabilities: { drop: ['ALL'] },
            },
          ]);
          expect([what, Object.keys(container.resources).sort()]).toEqual([what, ['limits', 'requests']]);
          expect([what, container.resources.limits.memory]).toEqual([what, expect.any(String)]);
          if (!what.startsWith('Job/')) {
            expect([what, Boolean(container.livenessProbe && container.readinessProbe)]).toEqual([
              what,
              true,
            ]);
          }
        }
      }
    },
  );

  it.each(['dev', 'prod'])(
    '%s: workers are probed on their own /health and /ready and drain before being killed',
    (name) => {
      const objects = name === 'dev' ? dev.objects : prod.objects;
      const config = find(
        objects,
        'ConfigMap',
        objects.find((o) => o.kind === 'ConfigMap')!.metadata.name,
      ).data;
      const worker = find(objects, 'Deployment', 'conveyor-worker').spec.template;
      const container = worker.spec.containers[0];
      const port = Number(config.WORKER_METRICS_PORT);
      expect(container.ports).toContainEqual({ name: 'metrics', containerPort: port });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'metrics' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'metrics' });
      expect(worker.spec.terminationGracePeriodSeconds).toBeGreaterThan(
        Number(config.SHUTDOWN_GRACE_SECONDS),
      );
      expect(worker.metadata.annotations).toMatchObject({ 'prometheus.io/port': String(port) });
      const api = find(objects, 'Deployment', 'conveyor-api').spec.template.spec.containers[0];
      expect([api.readinessProbe.httpGet.path, api.livenessProbe.httpGet.path]).toEqual([
        '/ready',
        '/health',
      ]);
      expect(find(objects, 'Job', 'conveyor-migrate').spec.template.spec.containers[0].command).toEqual([
        'node',
        'dist/scripts/src/migrate.js',
        'up',
      ]);
    },
  );

  it.each(['dev', 'prod'])(
    '%s: scales the API and workers on CPU, and keeps one of each through disruptions',
    (name) => {
      const objects = name === 'dev' ? dev.objects : prod.objects;
      for (const target of ['conveyor-api', 'conveyor-worker']) {
        const hpa = find(objects, 'HorizontalPodAutoscaler', target);
        expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: target });
        expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
        expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
        const pdb = find(objects, 'PodDisruptionBudget', target);
        expect(pdb.spec.selector.matchLabels).toEqual(
          find(objects, 'Deployment', target).spec.selector.matchLabels,
        );
      }
      expect(read('deploy/k8s/base/autoscaling.yaml')).toMatch(/type: External[\s\S]*conveyor_jobs_pending/);
    },
  );

  it('routes through an Ingress with TLS and WebSocket-length timeouts', () => {
    const ingress = find(prod.objects, 'Ingress', 'conveyor');
    expect(ingress.spec.tls[0].secretName).toBeTruthy();
    expect(
      Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']),
    ).toBeGreaterThanOrEqual(3600);
    expect(
      Number(ingress.metadata.annotations['nginx.ingress.kubernetes.io/proxy-send-timeout']),
    ).toBeGreaterThanOrEqual(3600);
    const paths = ingress.spec.rules[0].http.paths.map(
      (p: Manifest) => `${p.path} ${p.backend.service.name}`,
    );
    expect(paths).toEqual(
      expect.arrayContaining(['/socket.io api', '/ws api', '/api api', '/ conveyor-dashboard']),
    );
  });

  it('lets only the API, the workers and the migrate Job reach PostgreSQL', () => {
    const policy = find(dev.objects, 'NetworkPolicy', 'postgres-ingress');
    expect(policy.spec.podSelector.matchLabels).toEqual(
      find(dev.objects, 'StatefulSet', 'postgres').spec.selector.matchLabels,
    );
    expect(policy.spec.ingress).toHaveLength(1);
    const allowed = policy.spec.ingress[0].from[0].podSelector.matchLabels;
    const withAccess = podSpecs(dev.objects)
      .filter(([what]) => {
        const object = dev.objects.find((o) => `${o.kind}/${o.metadata.name}` === what)!;
        const labels = object.spec.template.metadata.labels;
        return Object.entries(allowed).every(([key, value]) => labels[key] === value);
      })
      .map(([what]) => what);
    expect(withAccess.sort()).toEqual([
      'Deployment/conveyor-api',
      'Deployment/conveyor-worker',
      'Job/conveyor-migrate',
    ]);
    // Everything else (the dashboard) may reach only the API and DNS, wherever the database is.
    const egress = find(prod.objects, 'NetworkPolicy', 'conveyor-egress-without-database-access');
    expect(egress.spec.podSelector.matchExpressions).toEqual([
      { key: Object.keys(allowed)[0], operator: 'DoesNotExist' },
    ]);
    expect(
      egress.spec.egress.flatMap((rule: Manifest) => rule.ports.map((p: Manifest) => p.port)).sort(),
    ).toEqual([53, 53, 8000]);
  });
});

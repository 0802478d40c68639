import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
    const api = createServer((req, res) => res.end(`api ${req.url}`));
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
    } finally {
      run('-s', 'stop');
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

describe('Kubernetes manifests', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are free-form YAML
  const documents = (file: string): Array<Record<string, any>> =>
    parseAllDocuments(read(path.join('deploy/k8s/base', file))).map((doc) => doc.toJS());
  const base = parse(read('deploy/k8s/base/kustomization.yaml')) as { resources: string[] };
  const all = base.resources.flatMap(documents);
  const deployment = (name: string) => all.find((d) => d.kind === 'Deployment' && d.metadata.name === name)!;
  const container = (name: string) => deployment(name).spec.template.spec.containers[0];

  it('lists only files that exist', () => {
    expect(all.length).toBeGreaterThan(base.resources.length);
  });

  it('probes the API on /ready and /health', () => {
    expect(container('conveyor-api').readinessProbe.httpGet.path).toBe('/ready');
    expect(container('conveyor-api').livenessProbe.httpGet.path).toBe('/health');
  });

  it("asks Prometheus to scrape every API pod's own /metrics", () => {
    const { annotations } = deployment('conveyor-api').spec.template.metadata;
    expect(annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(container('conveyor-api').ports[0].containerPort),
      'prometheus.io/path': '/metrics',
    });
  });

  it("asks Prometheus to scrape every worker pod's own metrics port", () => {
    const config = all.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'conveyor-config')!;
    const port = Number(config.data.WORKER_METRICS_PORT);
    expect(port).toBeGreaterThan(0);
    expect(deployment('conveyor-worker').spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': String(port),
    });
    expect(container('conveyor-worker').ports).toContainEqual({ name: 'metrics', containerPort: port });
  });

  it('gives workers longer to drain than their configured grace period', () => {
    const grace = Number(all.find((d) => d.kind === 'ConfigMap')!.data.SHUTDOWN_GRACE_SECONDS);
    expect(deployment('conveyor-worker').spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
      grace,
    );
    expect(container('conveyor-worker').command).toEqual(['node', 'dist/backend/src/main.worker.js']);
  });

  it('runs migrations as their own Job', () => {
    const job = all.find((d) => d.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].command).toEqual([
      'node',
      'dist/scripts/src/migrate.js',
      'up',
    ]);
  });

  it('renders with kubectl kustomize when kubectl is installed', () => {
    const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
    if (kubectl.error) {
      console.log('kubectl is not installed: skipping the kustomize render check');
      return;
    }
    for (const overlay of ['dev', 'prod']) {
      const rendered = spawnSync(
        'kubectl',
        ['kustomize', path.join(REPO_ROOT, 'deploy/k8s/overlays', overlay)],
        {
          encoding: 'utf8',
        },
      );
      expect(rendered.stderr).toBe('');
      expect(rendered.status).toBe(0);
    }
  });
});

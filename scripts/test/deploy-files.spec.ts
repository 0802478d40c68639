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
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  build?: { dockerfile: string };
  environment?: Record<string, string>;
}

function compose(file: string): { services: Record<string, ComposeService> } {
  return parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'), { merge: true });
}

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');

// No Docker engine runs here (nor the compose plugin), so the files are checked by structure.
describe.each(['docker-compose.dev.yml', 'docker-compose.prod.yml'])('%s', (file) => {
  const { services } = compose(file);

  it('runs postgres, migrate, api, worker and the dashboard', () => {
    expect(Object.keys(services).sort()).toEqual(['api', 'dashboard', 'migrate', 'postgres', 'worker']);
  });

  it('runs the compiled entry points that the build produces', () => {
    expect(services.migrate.command).toEqual(['node', 'dist/scripts/src/migrate.js', 'up']);
    expect(services.api.command).toEqual(['node', 'dist/backend/src/main.api.js']);
    expect(services.worker.command).toEqual(['node', 'dist/backend/src/main.worker.js']);
  });

  it('starts api and workers only after migrations succeed, which wait for a healthy postgres', () => {
    expect(services.migrate.depends_on?.postgres.condition).toBe('service_healthy');
    expect(services.api.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(services.worker.depends_on?.migrate.condition).toBe('service_completed_successfully');
    expect(services.postgres.healthcheck?.test.join(' ')).toContain('pg_isready');
    expect(services.api.healthcheck?.test.join(' ')).toContain('/ready');
  });

  it('has each worker serve its own metrics port', () => {
    expect(services.worker.environment?.WORKER_METRICS_PORT).toMatch(/^[1-9]\d*$/);
  });

  it('scales workers out and builds from Dockerfiles that exist', () => {
    expect(services.worker.deploy?.replicas).toBeGreaterThanOrEqual(2);
    for (const service of Object.values(services)) {
      if (service.build) expect(() => read(service.build!.dockerfile)).not.toThrow();
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

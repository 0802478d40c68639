import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { AppConfig } from '../../backend/src/config/app-config';
import { REPO_ROOT } from '../../backend/test/support/processes';

interface ComposeService {
  command?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  deploy?: { replicas?: number };
  build?: { dockerfile: string };
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
    expect(conf).toMatch(/location ~ \^\/\(api\|health\|ready\|metrics\|docs/);
    expect(conf).toMatch(/location \/socket\.io\/[\s\S]*Upgrade \$http_upgrade/);
    expect(conf).toContain('try_files $uri /index.html');
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

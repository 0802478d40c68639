import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium, screenshotPath } from './support/browser';
import { eventually, ui } from './support/eventually';
import { type RunningSystem, startSystem } from './support/system';

interface Job {
  id: string;
  status: string;
  tenant_id: string;
}

/**
 * The dashboard in real headless Chromium against the whole system as `npm start` runs it:
 * the built dashboard served by the API, a worker process, a fresh database.
 */
describe('the dashboard in Chromium', () => {
  let system: RunningSystem;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [system, browser] = await Promise.all([startSystem(), launchChromium()]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await system?.stop();
  });
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.close();
  });

  const openPage = async (viewport = { width: 1280, height: 900 }): Promise<Page> => {
    const context = await browser.newContext({ viewport });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return page;
  };

  const signIn = async (key: string, path = '/'): Promise<Page> => {
    const page = await openPage();
    await page.goto(`${system.baseUrl}${path}`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  };

  const submit = async (key: string, body: object): Promise<Job> => {
    const response = await system.api<Job>(key, 'POST', '/api/v1/jobs', body);
    expect(response.status).toBe(201);
    return response.body;
  };

  const live = (page: Page) => ui.textIs(page.getByRole('status', { name: 'live connection' }), 'Live');

  it('signs in with the printed admin key, shows tenant and role, and signs out', async () => {
    const page = await signIn(system.adminKey);
    await ui.textIs(page.getByTestId('who'), 'default · admin');
    await live(page);
    await ui.visible(page.getByRole('heading', { name: 'Overview' }));
    await ui.visible(page.getByRole('heading', { name: 'Service health' }));
    // The launcher's one worker process, from the workers registry.
    await ui.textMatches(page.getByTestId('live-workers'), /^1 live worker, 10 slots$/);
    // The chart (its own chunk) draws the hour on a canvas.
    await ui.visible(page.getByRole('img', { name: /jobs per minute, last hour/ }).locator('canvas'));
    await page.screenshot({ path: screenshotPath('overview-empty'), fullPage: true });
    expect(await page.evaluate<string | null>("sessionStorage.getItem('conveyor.session')")).toContain(
      system.adminKey,
    );
    await page.getByRole('button', { name: 'Sign out' }).click();
    await ui.visible(page.getByLabel('API key'));
    expect(await page.evaluate<string | null>("sessionStorage.getItem('conveyor.session')")).toBeNull();
  });

  it('refuses a bad key with the API’s message and keeps the user on the sign-in page', async () => {
    const page = await openPage();
    await page.goto(`${system.baseUrl}/jobs`);
    await page.getByLabel('API key').fill('cvr_not_a_real_key_at_all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await ui.textMatches(page.getByRole('alert'), /invalid|revoked|key/i);
    await page.screenshot({ path: screenshotPath('sign-in-refused'), fullPage: true });
    expect(new URL(page.url()).pathname).toBe('/sign-in');
  });

  it('submits a job from the create form with its defaults and lands on the job’s page', async () => {
    const page = await signIn(system.adminKey, '/create');
    await eventually(async () => expect(await page.getByLabel('Type').inputValue()).toBe('email'));
    await page.screenshot({ path: screenshotPath('create'), fullPage: true });
    await page.getByRole('button', { name: 'Submit job' }).click();
    await page.waitForURL(/\/jobs\/[0-9a-f-]{36}$/);
    await ui.visible(page.getByText('Completed', { exact: true }));
    await page.screenshot({ path: screenshotPath('job-completed'), fullPage: true });
  });

  it('shows a 400 from the API next to the field it names', async () => {
    const page = await signIn(system.adminKey, '/create');
    await page.getByLabel('Queue').fill('no spaces allowed here');
    await page.getByRole('button', { name: 'Submit job' }).click();
    await ui.textMatches(page.locator('.field.has-error'), new RegExp('queue'));
    // A payload that is not JSON is refused before anything is sent.
    await page.getByLabel('Payload (JSON object)').fill('{"seconds": ');
    await ui.visible(page.getByText(/^Not valid JSON/));
    await ui.enabled(page.getByRole('button', { name: 'Submit job' }), false);
  });

  it('follows a sleep job from scheduled through running (progress moving) to completed without a reload', async () => {
    const page = await signIn(system.adminKey);
    const job = await submit(system.adminKey, { type: 'sleep', payload: { seconds: 4 }, delay_ms: 1_500 });
    await page.goto(`${system.baseUrl}/jobs/${job.id}`);
    await live(page);
    const badge = page.locator('.job-header .status');
    await ui.textIs(badge, 'Scheduled');
    await ui.textIs(badge, 'Running');
    const bar = page.getByRole('progressbar', { name: 'Job progress' });
    await ui.attribute(bar, 'aria-valuenow', (value) => value !== '0');
    await page.screenshot({ path: screenshotPath('job-running'), fullPage: true });
    await ui.textIs(badge, 'Completed', 15_000);
    await ui.attribute(bar, 'aria-valuenow', (value) => value === '100');
    await ui.textMatches(page.getByLabel('Result'), new RegExp('slept_seconds'));
  });

  it('shows a job submitted through the API on an open jobs page without a reload', async () => {
    const page = await signIn(system.adminKey, '/jobs');
    await live(page);
    const job = await submit(system.adminKey, {
      type: 'email',
      payload: { to: 'a@example.com' },
      queue: 'live-row',
    });
    await ui.visible(page.locator(`tr[data-job-id="${job.id}"]`));
    await page.screenshot({ path: screenshotPath('jobs'), fullPage: true });
  });

  it('sends a fail job to the DLQ and retries it from there', async () => {
    const page = await signIn(system.adminKey, '/dlq');
    await live(page);
    const job = await submit(system.adminKey, { type: 'fail', payload: {}, max_attempts: 1 });
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await ui.visible(row);
    await row.getByRole('button', { name: 'Inspect' }).click();
    await ui.visible(page.getByLabel('Errors'));
    await page.screenshot({ path: screenshotPath('dlq'), fullPage: true });
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Retry selected' }).click();
    const dialog = page.getByRole('dialog');
    await ui.textMatches(dialog, new RegExp('Retry 1 dead job'));
    await dialog.getByRole('button', { name: 'Retry 1' }).click();
    await ui.visible(page.getByRole('status').filter({ hasText: 'Retried 1 job' }));
    // Retried with a fresh attempt, it fails again and comes back: the retry really happened.
    const history = await system.api<{ errors: unknown[] }>(system.adminKey, 'GET', `/api/v1/jobs/${job.id}`);
    expect(history.body.errors.length).toBeGreaterThanOrEqual(1);
    await eventually(async () => {
      const again = await system.api<{ errors: unknown[] }>(system.adminKey, 'GET', `/api/v1/jobs/${job.id}`);
      expect(again.body.errors).toHaveLength(2);
    });
  });

  it('cancels a running job from its page', async () => {
    const page = await signIn(system.adminKey);
    const job = await submit(system.adminKey, { type: 'sleep', payload: { seconds: 60 } });
    await page.goto(`${system.baseUrl}/jobs/${job.id}`);
    const badge = page.locator('.job-header .status');
    await ui.textIs(badge, 'Running');
    await ui.enabled(page.getByRole('button', { name: 'Retry' }), false);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await ui.textIs(badge, 'Cancelled');
    await ui.enabled(page.getByRole('button', { name: 'Cancel' }), false);
    await ui.enabled(page.getByRole('button', { name: 'Retry' }), true);
  });

  it('lets an admin create a tenant key and revoke it, after which the key is refused', async () => {
    const page = await signIn(system.adminKey, '/tenants');
    await page.getByRole('button', { name: 'New tenant' }).click();
    await page.getByLabel('Name').fill('acme');
    await page.getByLabel('Max concurrency').fill('3');
    await page.getByRole('button', { name: 'Create tenant' }).click();
    await ui.visible(page.getByRole('heading', { name: 'API keys of acme' }));
    await page.getByLabel('Label').fill('e2e');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = (await page.getByTestId('new-key').textContent())!.trim();
    expect((await system.api(key, 'GET', '/api/v1/auth/me')).status).toBe(200);
    await page.screenshot({ path: screenshotPath('tenants'), fullPage: true });
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await ui.visible(page.getByText('Revoked', { exact: true }));
    expect((await system.api(key, 'GET', '/api/v1/auth/me')).status).toBe(401);
  });

  it('shows a tenant key no Tenants page and none of another tenant’s jobs', async () => {
    const tenant = await system.api<{ id: string }>(system.adminKey, 'POST', '/api/v1/tenants', {
      name: 'globex',
    });
    const created = await system.api<{ key: string }>(
      system.adminKey,
      'POST',
      `/api/v1/tenants/${tenant.body.id}/keys`,
      {},
    );
    const theirs = await submit(created.body.key, { type: 'email', payload: { to: 'b@example.com' } });
    const adminsJob = await submit(system.adminKey, { type: 'email', payload: { to: 'c@example.com' } });

    const page = await signIn(created.body.key, '/jobs');
    await ui.textIs(page.getByTestId('who'), 'globex · tenant');
    await ui.count(page.getByRole('link', { name: 'Tenants' }), 0);
    await ui.visible(page.locator(`tr[data-job-id="${theirs.id}"]`));
    await ui.count(page.locator(`tr[data-job-id="${adminsJob.id}"]`), 0);
    await page.goto(`${system.baseUrl}/tenants`);
    await ui.visible(page.getByRole('heading', { name: 'Overview' }));
    await page.goto(`${system.baseUrl}/jobs/${adminsJob.id}`);
    await ui.textMatches(page.getByRole('alert'), new RegExp('404'));
  });

  it('takes every page at phone width without losing the navigation', async () => {
    const page = await openPage({ width: 390, height: 844 });
    await page.goto(`${system.baseUrl}/`);
    await page.getByLabel('API key').fill(system.adminKey);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    const overflows: Record<string, number> = {};
    for (const [path, heading] of [
      ['/', 'Overview'],
      ['/jobs', 'Jobs'],
      ['/create', 'Create a job'],
      ['/dlq', 'Dead letters'],
      ['/tenants', 'Tenants'],
    ]) {
      await page.goto(`${system.baseUrl}${path}`);
      await ui.visible(page.getByRole('heading', { name: heading, exact: true }));
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      if (overflow > 1) overflows[path] = overflow;
      await page.screenshot({
        path: screenshotPath(`phone${path === '/' ? '-overview' : path.replace('/', '-')}`),
        fullPage: true,
      });
    }
    // Pages that scroll sideways at phone width (tables scroll inside their own box instead).
    expect(overflows).toEqual({});
  });
});

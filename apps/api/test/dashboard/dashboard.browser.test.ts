import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@clore-batch/testing';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_TOKEN,
  browserTestsEnabled,
  launchChromium,
  PROBE_TOKEN,
  type Stack,
  SUBMIT_TOKEN,
  startStack,
} from './browser-kit';

const SCREENSHOTS = fileURLToPath(new URL('../../../../docs/screenshots/', import.meta.url));
const VIEWPORT = { width: 1440, height: 900 }; // a laptop screen
/** Where the sandbox job writes its output file (the simulator's "containers" share this machine). */
const outDir = `/tmp/cb-dashboard-browser-${randomUUID()}`;

let stack: Stack;
let browser: Browser;
let context: BrowserContext | undefined;

/**
 * Requests for anything but this machine that got past the pages' Content-Security-Policy (the
 * NETWORK rule: there must be none). They are aborted, never sent; CSP-blocked ones never get here.
 */
const foreignRequests: string[] = [];
const isLocal = (url: URL) => url.hostname === '127.0.0.1' || url.hostname === 'localhost';

async function newContext(): Promise<BrowserContext> {
  context = await browser.newContext({ viewport: VIEWPORT });
  await context.route(
    (url) => !isLocal(url),
    (route) => {
      foreignRequests.push(route.request().url());
      return route.abort();
    },
  );
  return context;
}

async function loggedInPage(): Promise<Page> {
  context = await newContext();
  const page = await context.newPage();
  await page.goto(`${stack.api.url}/admin`);
  expect(new URL(page.url()).pathname).toBe('/admin/login');
  await page.fill('#token', ADMIN_TOKEN);
  await Promise.all([page.waitForURL(`${stack.api.url}/admin`), page.click('button[type=submit]')]);
  await page.locator('#counts .count').first().waitFor();
  return page;
}

const row = (page: Page, id: string) => page.locator(`tr[data-job="${id}"]`);
const CHART_NAMES = ['spend', 'spend-by-gpu', 'queue', 'provisioning', 'failures', 'starts'];

async function jobJson(id: string): Promise<{ state: string; attempts: { orderId?: number }[] }> {
  const answer = await stack.api.app.inject({
    method: 'GET',
    url: `/admin/api/jobs/${id}`,
    headers: { authorization: `Bearer ${PROBE_TOKEN}` },
  });
  return (answer.json() as { job: { state: string; attempts: { orderId?: number }[] } }).job;
}
const jobState = async (id: string) => (await jobJson(id)).state;

it('a missing Chromium is a failure that says what to install, not a silent skip', async () => {
  await expect(launchChromium('/nonexistent/chromium')).rejects.toThrow(
    /does not exist: install Debian's chromium/,
  );
});

describe.skipIf(!browserTestsEnabled())('admin dashboard in headless Chromium', () => {
  beforeAll(async () => {
    // A daily spend cap, so the spend chart draws one (far above what these jobs spend).
    stack = await startStack({ TENANT_LIMITS: JSON.stringify({ 'ci-bot': { dailySpendUsd: 200 } }) });
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    await rm(outDir, { recursive: true, force: true });
  });
  afterEach(async () => {
    expect(foreignRequests.splice(0)).toEqual([]);
    await context?.close();
    context = undefined;
    await stack.stopWorker();
  });

  it('logs in, watches a job go from queued to succeeded without reloading, opens its log', async () => {
    const page = await loggedInPage();
    await page.evaluate(() => {
      (globalThis as { notReloaded?: boolean }).notReloaded = true;
    });
    const id = await stack.submit({
      name: 'train-resnet50',
      command: [
        'echo "epoch 1/3 loss=0.91"; sleep 1; echo "epoch 2/3 loss=0.47"; sleep 1; echo "epoch 3/3 loss=0.22"',
        `mkdir -p ${outDir} && echo '{"top1": 0.761}' > ${outDir}/metrics.json && echo done`,
      ].join('; '),
      env: { EPOCHS: '3' },
      outputs: [`${outDir}/metrics.json`],
      secretEnv: { WANDB_API_KEY: 'wandb-secret-value-123' },
    });
    // No worker yet: the page shows the job queued.
    await row(page, id).locator('.badge.queued').waitFor({ timeout: 10_000 });
    const queuedCount = await page.locator('#counts .count.queued .n').textContent();
    expect(Number(queuedCount)).toBeGreaterThanOrEqual(1);

    // Some company for the list: a failing job and a long one (cancelled at the end of this test).
    const failing = await stack.submit({
      name: 'eval-bad-config',
      command: 'echo "config error: missing key" >&2; exit 3',
    });
    const long = await stack.submit({ name: 'hparam-sweep', command: 'echo sweeping; sleep 300' });
    await stack.startWorker();
    await row(page, id)
      .locator('.badge.running, .badge.provisioning, .badge.collecting, .badge.succeeded')
      .first()
      .waitFor({ timeout: 30_000 });
    await row(page, id).locator('.badge.succeeded').waitFor({ timeout: 60_000 });
    await row(page, failing).locator('.badge.failed').waitFor({ timeout: 60_000 });
    await row(page, long).locator('.badge.running').waitFor({ timeout: 60_000 });
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect.poll(async () => row(page, id).locator('td').nth(3).textContent()).not.toBe('–');
    await page.screenshot({ path: `${SCREENSHOTS}jobs-list.png` });

    await row(page, id).locator('a').first().click();
    await page.waitForURL(`**/admin#job/${id}`);
    const log = page.locator('#log');
    await expect.poll(async () => log.textContent(), { timeout: 15_000 }).toContain('epoch 3/3 loss=0.22');
    const detail = await page.locator('#view').textContent();
    expect(detail).toContain('WANDB_API_KEY');
    expect(detail).not.toContain('wandb-secret-value-123');
    expect(detail).toContain('job submitted and queued');
    const output = page.locator('a', { hasText: `${outDir}/metrics.json` });
    await output.waitFor();
    const download = await context?.request.get(`${stack.api.url}${await output.getAttribute('href')}`);
    expect(await download?.text()).toBe('{"top1": 0.761}\n');
    await page.screenshot({ path: `${SCREENSHOTS}job-detail.png`, fullPage: true });

    await stack.cancel(long);
    await waitFor(async () => (await stack.activeOrders()) === 0, { timeoutMs: 20_000 });
  }, 120_000);

  it('cancels a running job from the page and shows its order ended', async () => {
    await stack.startWorker();
    const page = await loggedInPage();
    const id = await stack.submit({ name: 'long-sweep', command: 'echo started; sleep 300; echo never' });
    await page.goto(`${stack.api.url}/admin#job/${id}`);
    await page.locator('.title .badge.running').waitFor({ timeout: 60_000 });
    await expect
      .poll(async () => page.locator('#log').textContent(), { timeout: 15_000 })
      .toContain('started');
    const orderId = await waitFor(
      async () =>
        (
          await stack.api.app.inject({
            method: 'GET',
            url: `/admin/api/jobs/${id}`,
            headers: { authorization: `Bearer ${PROBE_TOKEN}` },
          })
        ).json().job.attempts[0]?.orderId as number | undefined,
    );
    expect((await stack.simOrder(orderId))?.active).toBe(true);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#cancel');
    await page.locator('.title .badge.cancelled').waitFor({ timeout: 30_000 });
    await waitFor(async () => (await stack.simOrder(orderId))?.active === false, { timeoutMs: 15_000 });

    await page.click('#nav a[data-view=orders]');
    await page.locator(`#orders-ended tr[data-order="${orderId}"]`).waitFor({ timeout: 15_000 });
    expect(await page.locator(`#orders-active tr[data-order="${orderId}"]`).count()).toBe(0);
    expect((await stack.simOrder(orderId))?.endReason).toBe('cancelled');
    await page.screenshot({ path: `${SCREENSHOTS}orders.png` });
    await page.click('#nav a[data-view=money]');
    await page.locator('.wallets li').first().waitFor({ timeout: 15_000 }); // through the shared limiter
    await page.screenshot({ path: `${SCREENSHOTS}money.png` });
    await page.click('#nav a[data-view=tenants]');
    await page.locator('tr[data-tenant="ci-bot"]').waitFor({ timeout: 15_000 });
    expect(
      await page.locator('tr[data-tenant]').evaluateAll((rows) => rows.map((r) => r.firstChild?.textContent)),
    ).toEqual(['ops', 'ci-bot', 'probe']);
    await page.click('#nav a[data-view=limiter]');
    await expect
      .poll(async () => page.locator('.card strong').first().textContent(), { timeout: 10_000 })
      .toMatch(/^\d/); // calls per minute, once two readings a second apart exist
    await page.screenshot({ path: `${SCREENSHOTS}limiter.png` });

    // bull-board with the same session: both queues, and nothing fetched from outside.
    await page.goto(`${stack.api.url}/admin/queues`);
    await page.getByText('webhooks').first().waitFor({ timeout: 15_000 });
    await page.getByText('jobs').first().waitFor();
  }, 120_000);

  it('draws every chart from real jobs: non-empty series, labelled axes, no foreign request', async () => {
    await stack.startWorker();
    const ok = await stack.submit({ name: 'chart-ok', command: 'echo fine' });
    const bad = await stack.submit({ name: 'chart-bad', command: 'exit 4' });
    await waitFor(
      async () => {
        const states = await Promise.all([ok, bad].map((id) => jobState(id)));
        return states.every((state) => ['succeeded', 'failed'].includes(state));
      },
      { timeoutMs: 60_000 },
    );
    const page = await loggedInPage();
    await page.click('#nav a[data-view=charts]');
    for (const chart of CHART_NAMES) {
      const figure = page.locator(`figure.chart[data-chart="${chart}"]`);
      await figure.locator('canvas').first().waitFor({ timeout: 15_000 });
      expect(Number(await figure.getAttribute('data-points')), chart).toBeGreaterThan(0);
      expect(await figure.getAttribute('data-x-label'), chart).toMatch(/\w/);
      expect(await figure.getAttribute('data-y-label'), chart).toMatch(/\w/);
      expect(await figure.locator('.u-legend').textContent(), chart).toMatch(/\w/);
    }
    expect(await page.locator('figure.chart[data-chart="spend"] .u-legend').textContent()).toContain(
      'daily cap ci-bot',
    );
    expect(await page.locator('figure.chart[data-chart="failures"] .u-legend').textContent()).toContain(
      'failed jobs',
    );
    await page.selectOption('#chart-range', '7d');
    await page.locator('figure.chart[data-chart="spend"] .axes').filter({ hasText: 'day (UTC)' }).waitFor();
  }, 120_000);

  it('bulk cancel ends the selected running jobs and their orders; CSV has one row per job with cost', async () => {
    await stack.startWorker();
    const page = await loggedInPage();
    const ids = [
      await stack.submit({ name: 'bulk-a', command: 'echo a; sleep 300' }),
      await stack.submit({ name: 'bulk-b', command: 'echo b; sleep 300' }),
    ];
    for (const id of ids) {
      await row(page, id).locator('.badge.running').waitFor({ timeout: 60_000 });
    }
    const orders = await Promise.all(
      ids.map((id) => waitFor(async () => (await jobJson(id)).attempts[0]?.orderId as number | undefined)),
    );
    for (const order of orders) {
      expect((await stack.simOrder(order))?.active).toBe(true);
    }
    for (const id of ids) {
      await row(page, id).locator('input[type=checkbox]').check();
    }
    await expect.poll(async () => page.locator('#cancel-selected').textContent()).toBe('Cancel selected (2)');
    await page.screenshot({ path: `${SCREENSHOTS}bulk-cancel-1440.png` });
    page.once('dialog', (dialog) => void dialog.accept());
    await page.click('#cancel-selected');
    for (const id of ids) {
      await row(page, id).locator('.badge.cancelled').waitFor({ timeout: 30_000 });
    }
    for (const order of orders) {
      await waitFor(async () => (await stack.simOrder(order))?.active === false, { timeoutMs: 15_000 });
      expect((await stack.simOrder(order))?.endReason).toBe('cancelled');
    }

    // A job that never ran says so instead of showing an empty log box.
    await stack.stopWorker();
    const never = await stack.submit({ name: 'never-ran', command: 'echo no' });
    await stack.cancel(never);
    await page.goto(`${stack.api.url}/admin#job/${never}`);
    await expect.poll(async () => page.locator('#log-empty').textContent()).toContain('no server ran');
    expect(await page.locator('#log').count()).toBe(0);

    await page.goto(`${stack.api.url}/admin#jobs`);
    const href = await page.locator('#export-csv').getAttribute('href');
    const csv = await (await context?.request.get(`${stack.api.url}${href}`))?.text();
    const lines = (csv ?? '').trimEnd().split('\r\n');
    const header = lines[0]?.split(',') ?? [];
    const counts = (
      await stack.api.app.inject({
        method: 'GET',
        url: '/admin/api/summary',
        headers: { authorization: `Bearer ${PROBE_TOKEN}` },
      })
    ).json().counts as Record<string, number>;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(lines).toHaveLength(total + 1);
    const cost = header.indexOf('cost_usd');
    expect(cost).toBeGreaterThan(0);
    const ids2 = lines.slice(1).map((line) => line.split(',')[0]);
    expect(new Set(ids2).size).toBe(total);
    for (const id of ids) {
      const line = lines.find((l) => l.startsWith(id)) ?? '';
      expect(Number(line.split(',')[cost])).toBeGreaterThanOrEqual(0);
      expect(line.split(',')[cost]).toMatch(/^\d+\.\d{6}$/);
    }
  }, 120_000);

  it('searches the whole log, downloads it, and re-submits the job with its secret typed again', async () => {
    await stack.startWorker();
    const id = await stack.submit({
      name: 'resubmit-me',
      command: 'for i in $(seq 1 400); do echo "line $i"; done; echo "FOUND-ME once"',
      secretEnv: { API_KEY: 'first-secret-value' },
    });
    await waitFor(async () => (await jobState(id)) === 'succeeded', { timeoutMs: 60_000 });
    const page = await loggedInPage();
    await page.goto(`${stack.api.url}/admin#job/${id}`);
    await page.fill('#log-search input[name=q]', 'found-me');
    await page.click('#log-search button[type=submit]');
    await expect
      .poll(async () => page.locator('#log-search-results').textContent())
      .toContain('401  FOUND-ME once');
    const href = await page.locator('#log-download').getAttribute('href');
    const log = await (await context?.request.get(`${stack.api.url}${href}`))?.text();
    expect(log?.split('\n')).toHaveLength(402);

    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.type());
      void (dialog.type() === 'prompt' ? dialog.accept('second-secret-value') : dialog.accept());
    });
    await page.click('#resubmit');
    await page.waitForURL((url) => url.hash.startsWith('#job/') && !url.hash.endsWith(id));
    expect(dialogs).toEqual(['prompt', 'confirm']);
    const fresh = decodeURIComponent(new URL(page.url()).hash.slice('#job/'.length));
    await page.locator('.title h2', { hasText: 'resubmit-me' }).waitFor();
    expect(await page.locator('#view').textContent()).not.toContain('second-secret-value');
    const job = (
      await stack.api.app.inject({
        method: 'GET',
        url: `/admin/api/jobs/${fresh}`,
        headers: { authorization: `Bearer ${PROBE_TOKEN}` },
      })
    ).json().job as { owner: string; spec: { secretEnvNames: string[] } };
    expect(job.owner).toBe('ci-bot');
    expect(job.spec.secretEnvNames).toEqual(['API_KEY']);
    await waitFor(async () => (await jobState(fresh)) === 'succeeded', { timeoutMs: 60_000 });
  }, 120_000);

  it('an alert appears when its condition is made true and goes when it is cleared', async () => {
    // No worker: the leader lease (2 s in this stack) runs out and nobody polls orders or reaps.
    const page = await loggedInPage();
    const alert = page.locator('#alerts li[data-alert="leader-silent"]');
    await alert.waitFor({ timeout: 15_000 });
    expect(await alert.textContent()).toMatch(/leader/);
    await page.screenshot({ path: `${SCREENSHOTS}alerts-1440.png` });
    await stack.startWorker();
    await alert.waitFor({ state: 'detached', timeout: 30_000 });
  }, 60_000);

  it('screenshots of each view at 1440 px and 390 px; no page is wider than a 390 px screen', async () => {
    const page = await loggedInPage();
    const { jobs } = (
      await stack.api.app.inject({
        method: 'GET',
        url: '/admin/api/jobs?state=succeeded&limit=1',
        headers: { authorization: `Bearer ${PROBE_TOKEN}` },
      })
    ).json() as { jobs: { id: string }[] };
    const views: [string, string, string][] = [
      ['jobs', '#jobs', 'tr[data-job]'],
      ['job', `#job/${jobs[0]?.id}`, '#log'],
      ['charts', '#charts', 'figure.chart canvas'],
      ['orders', '#orders', '#orders-active'],
      ['money', '#money', '.cards'],
      ['tenants', '#tenants', 'tr[data-tenant]'],
      ['limiter', '#limiter', '.cards'],
    ];
    for (const width of [1440, 390]) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 900 });
      for (const [name, hash, ready] of views) {
        await page.goto(`${stack.api.url}/admin${hash}`);
        await page.locator(ready).first().waitFor({ timeout: 15_000 });
        await page.screenshot({ path: `${SCREENSHOTS}${name}-${width}.png`, fullPage: true });
        const overflow = Number(await page.evaluate('document.documentElement.scrollWidth'));
        expect(overflow, `${name} at ${width} px`).toBeLessThanOrEqual(width);
      }
    }
  }, 120_000);

  it('refuses a submit token: "admin role required", and no way in afterwards', async () => {
    context = await newContext();
    const page = await context.newPage();
    await page.goto(`${stack.api.url}/admin/login`);
    await page.fill('#token', SUBMIT_TOKEN);
    const [response] = await Promise.all([
      page.waitForResponse('**/admin/login'),
      page.click('button[type=submit]'),
    ]);
    expect(response.status()).toBe(403);
    await expect
      .poll(async () => page.locator('#login-error').textContent())
      .toContain('Admin role required');
    expect(await context.cookies()).toEqual([]);
    await page.goto(`${stack.api.url}/admin`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.goto(`${stack.api.url}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
  }, 60_000);
});

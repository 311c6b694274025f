import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHeldImages, type HeldImages } from '../support/heldImages';
import { startImageServer, type ImageServer } from '../support/imageServer';
import { serviceEnv, startStack, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';

/**
 * The operator dashboard as a person uses it, in Debian's Chromium, on the real stack with API keys
 * on: the page asks for a key, shows a submitted job appear and complete without a reload, opens a
 * job's page with a failed image's reason, cancels an ongoing job and retries it, and re-drives a
 * real dead letter. Screenshots are
 * written to test-results/ (the README's comes from here).
 */
const root = resolve(__dirname, '../..');
const screenshots = join(root, 'test-results');
const KEY = 'dashboard-e2e-key';
let environment: TestEnvironment;
let images: ImageServer;
let held: HeldImages;
let stack: Stack;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const visit = (storeId: string, urls: string[]) => ({
  store_id: storeId,
  image_url: urls,
  visit_time: '2024-03-04T10:00:00Z',
});

async function submit(visits: ReturnType<typeof visit>[]): Promise<number> {
  const response = await fetch(`${stack.baseUrl}/api/submit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify({ count: visits.length, visits }),
  });
  expect(response.status).toBe(201);
  return ((await response.json()) as { job_id: number }).job_id;
}

async function shoot(name: string): Promise<void> {
  await page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
}

beforeAll(async () => {
  // The page the gateway serves is the workspace's build: made now if it is missing or stale.
  execFileSync('bash', ['infra/scripts/ensure-dashboard.sh'], { cwd: root, stdio: 'inherit' });
  mkdirSync(screenshots, { recursive: true });
  environment = await createTestEnvironment('dashboard');
  images = await startImageServer();
  held = await startHeldImages();
  stack = await startStack(environment, {
    API_KEYS: KEY,
    INTERNAL_TOKEN: randomBytes(24).toString('hex'),
    IMAGE_MAX_ATTEMPTS: '1',
    // Slow enough to watch a job's progress, fast enough for a short test.
    GPU_DELAY_MIN_MS: '150',
    GPU_DELAY_MAX_MS: '300',
    PIPELINE_SAMPLE_MS: '1000',
    JOBS_FEED_POLL_MS: '250',
    JOB_EVENTS_POLL_MS: '250',
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.on('console', (message) => {
    // The first request of a page without a key is refused; that 401 is how it learns to ask.
    if (message.type() === 'error' && !/status of 401/.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('request', (request) => {
    if (!request.url().startsWith(stack.baseUrl) && !request.url().startsWith('data:')) problems.push(request.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await stack?.stopAll();
  await images?.close();
  await held?.close();
  await environment?.cleanup();
});

describe('the dashboard in a browser, with API keys on', () => {
  it('asks for a key, then shows a submitted job appear and complete without a reload', async () => {
    await page.goto(stack.baseUrl);
    const dialog = page.getByRole('dialog', { name: 'API key needed' });
    await dialog.waitFor();
    await shoot('dashboard-key');
    await page.getByLabel('API key', { exact: true }).fill(KEY);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByText('live', { exact: true }).waitFor();
    // Anything that reloaded the page would lose this.
    await page.evaluate(() => ((window as unknown as { unreloaded: boolean }).unreloaded = true));

    const urls = Array.from({ length: 12 }, (_, index) => images.url(`/img/shelf.jpg?n=${index}`));
    const jobId = await submit([visit('S00339218', urls)]);
    const row = page.locator(`tr[data-job-id="${jobId}"]`);
    await row.waitFor();
    await page.locator(`tr[data-job-id="${jobId}"][data-status="completed"]`).waitFor({ timeout: 60_000 });
    expect(await row.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('12');
    expect(await page.evaluate(() => (window as unknown as { unreloaded?: boolean }).unreloaded)).toBe(true);
  });

  it("opens a job's page and shows a failed image's reason, grouped and per image", async () => {
    const jobId = await submit([
      visit('S00339218', [images.url('/img/shelf.jpg?job=2'), images.url('/img/missing.jpg')]),
      visit('S99999999', [images.url('/img/front.png')]),
    ]);
    await page.locator(`tr[data-job-id="${jobId}"] a`).click();
    await page.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
    await page.locator('.job-header .badge-failed').waitFor({ timeout: 60_000 });
    const reasons = page.getByRole('region', { name: 'Failures by reason' }).locator('tbody td.reason:not(.muted)');
    await reasons.nth(1).waitFor();
    expect((await reasons.allInnerTexts()).sort()).toEqual(['HTTP 404 fetching <url>', 'unknown store_id S99999999']);
    const failedImage = page.locator('.images-table tr[data-status="failed"]', { hasText: 'missing.jpg' });
    await failedImage.getByText(`HTTP 404 fetching ${images.url('/img/missing.jpg')}`).waitFor();
    const measured = page.locator('.images-table tr[data-status="succeeded"]');
    expect(await measured.locator('td').nth(4).innerText()).toBe('640×480');
    await page.locator('button', { hasText: 'Retry failed job' }).waitFor();
    await shoot('dashboard-job');
    await page.getByRole('link', { name: '← All jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  });

  it('cancels an ongoing job from its page, then retries its failed images as a new job', async () => {
    // One image measured, one whose download waits: the job stays ongoing until it is cancelled.
    const jobId = await submit([
      visit('S00339218', [images.url('/img/shelf.jpg?job=cancel')]),
      visit('S01408764', [held.url('cancel-me.jpg')]),
    ]);
    await page.locator(`tr[data-job-id="${jobId}"] a`).click();
    await page.getByRole('heading', { name: `Job ${jobId}` }).waitFor();
    await page.locator('.images-table tr[data-status="succeeded"]').waitFor();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.locator('.job-header .badge-failed').waitFor({ timeout: 30_000 });
    const reasons = page.getByRole('region', { name: 'Failures by reason' }).locator('tbody td.reason:not(.muted)');
    await reasons.getByText('cancelled', { exact: true }).waitFor();
    await page.locator('.images-table tr[data-status="cancelled"]', { hasText: 'cancel-me.jpg' }).waitFor();
    await page.getByText('Cancelled', { exact: true }).waitFor();
    await shoot('dashboard-cancelled');

    // The held download answers from now on: the retry's image is measured.
    held.release();
    await page.getByRole('button', { name: 'Retry failed job' }).click();
    await page.waitForFunction((original) => location.hash !== `#/jobs/${original}`, jobId);
    const retried = Number(/^#\/jobs\/(\d+)$/.exec(await page.evaluate(() => location.hash))?.[1]);
    expect(retried).toBeGreaterThan(jobId);
    await page.getByRole('heading', { name: `Job ${retried}` }).waitFor();
    await page.getByRole('link', { name: `job ${jobId}` }).waitFor();
    await page.locator('.job-header .badge-completed').waitFor({ timeout: 30_000 });
    const rows = page.locator('.images-table tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(1);
    expect(await rows.first().locator('td.url').innerText()).toBe(held.url('cancel-me.jpg'));
    await page.getByRole('link', { name: '← All jobs' }).click();
    await page.getByRole('heading', { name: 'Jobs' }).waitFor();
  });

  it('re-drives a real dead letter and shows it come back with its count', async () => {
    // A malformed request on the work queue: the image-processor refuses it to the dead-letter queue.
    const connection = await amqp.connect(environment.amqpUrl);
    try {
      const channel = await connection.createConfirmChannel();
      channel.publish(
        environment.topology.names.workExchange,
        'ImageRequested',
        Buffer.from('{"type":"ImageRequested"}'),
        {
          messageId: 'dashboard-poison-1',
          persistent: true,
        },
      );
      await channel.waitForConfirms();
    } finally {
      await connection.close();
    }
    const panel = page.getByRole('region', { name: 'Dead letters' });
    const letter = panel.locator('tr[data-message-id="dashboard-poison-1"]');
    for (let tries = 0; !(await letter.isVisible()) && tries < 40; tries++) {
      await panel.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(250);
    }
    await letter.getByText('message failed validation').waitFor();
    expect(await letter.locator('td.num').innerText()).toBe('0');
    await letter.getByRole('button', { name: 'Re-drive' }).click();
    await panel.getByText('Re-drove 1 of 1 dead letter.').waitFor();
    // Still malformed: the processor refuses it again, and it is back with one re-drive counted.
    for (
      let tries = 0;
      (await letter
        .locator('td.num')
        .innerText()
        .catch(() => '')) !== '1' && tries < 40;
      tries++
    ) {
      await panel.getByRole('button', { name: 'Refresh' }).click();
      await page.waitForTimeout(250);
    }
    expect(await letter.locator('td.num').innerText()).toBe('1');
  });

  it('draws the pipeline from the services’ metrics, and broke no rule of the page', async () => {
    // A few jobs over some seconds, a failure among them, so that the charts have something to draw.
    const jobs: number[] = [];
    for (let round = 0; round < 4; round++) {
      const urls = Array.from({ length: 15 }, (_, index) => images.url(`/img/front.png?r=${round}&n=${index}`));
      jobs.push(await submit([visit('S00339218', round % 2 ? [...urls, images.url('/img/missing.jpg')] : urls)]));
      await page.waitForTimeout(1_200);
    }
    const charts = page.getByRole('region', { name: 'Pipeline' });
    await charts.locator('figure', { hasText: 'Images per second' }).locator('canvas').first().waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.chart-empty').length === 0, undefined, {
      timeout: 30_000,
    });
    expect(await charts.locator('canvas').count()).toBeGreaterThanOrEqual(5);
    await page.getByTestId('store-count').getByText('12').waitFor();
    for (const jobId of jobs) {
      await page.locator(`tr[data-job-id="${jobId}"]:not([data-status="ongoing"])`).waitFor({ timeout: 60_000 });
    }
    await charts.getByText('http status').first().waitFor();

    // A replay (`npm run replay`) rebuilds every read model as generation 2 and switches to it.
    const replay = page.getByTestId('replay');
    await replay.getByText('None recorded').waitFor();
    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'services/projection/src/replay/cli.ts'], {
      cwd: root,
      env: serviceEnv(environment),
    });
    await replay.locator('.badge-finished').waitFor({ timeout: 15_000 });
    await replay.getByText('generation 2 of job status, visits, jobs').waitFor();
    await page.waitForTimeout(2_000); // two more samples, so the charts show the last job settle
    await shoot('dashboard');
    expect(problems).toEqual([]);
  });
});

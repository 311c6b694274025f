import { SERVED_IMAGES, startImageServer, type ImageServer } from '../support/imageServer';
import { startStack, waitForTerminal, type Stack } from '../support/stack';
import { createTestEnvironment, type TestEnvironment } from '../support/testEnvironment';
import { until } from '../support/until';

/**
 * The running stack over HTTP: every service its own process, real RabbitMQ and MongoDB-protocol
 * server, images downloaded from a local HTTP server.
 */
let environment: TestEnvironment;
let images: ImageServer;
let stack: Stack;

const KNOWN_STORE = 'S00339218'; // area 7100015 in the sample store master
const OTHER_STORE = 'S01408764'; // area 7100015
const AREA_2_STORE = 'S00000201'; // area 7100016
const STORE_ID_RULE = "must be 1 to 64 characters, each a letter A-Z or a-z, a digit, '-' or '_'";

beforeAll(async () => {
  environment = await createTestEnvironment('e2e');
  images = await startImageServer();
  stack = await startStack(environment, { IMAGE_MAX_ATTEMPTS: '2' });
});

afterAll(async () => {
  await stack?.stopAll();
  await images?.close();
  await environment?.cleanup();
});

async function submit(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${stack.baseUrl}/api/submit/`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function get(path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${stack.baseUrl}${path}`);
  return { status: response.status, text: await response.text() };
}

function visit(storeId: string, urls: string[], visitTime: string) {
  return { store_id: storeId, image_url: urls, visit_time: visitTime };
}

describe('a job of real images', () => {
  it('is ongoing right after 201, then completed with every format measured', async () => {
    const urls = SERVED_IMAGES.map((image) => images.url(image.path));
    const submitted = await submit({ count: 1, visits: [visit(KNOWN_STORE, urls, '2024-01-21T16:23:40.898Z')] });
    expect(submitted.status).toBe(201);
    const jobId = submitted.body.job_id as number;
    expect(Number.isInteger(jobId)).toBe(true);

    const immediately = await get(`/api/status?jobid=${jobId}`);
    expect(immediately.status).toBe(200);
    expect(JSON.parse(immediately.text)).toEqual({
      status: expect.stringMatching(/^(ongoing|completed)$/),
      job_id: jobId,
    });

    expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
    const final = await get(`/api/status?jobid=${jobId}`);
    expect(final.text).toBe(`{"status":"completed","job_id":${jobId}}`);

    const visits = await get(`/api/visits?storeid=${KNOWN_STORE}&startdate=2024-01-21&enddate=2024-01-21`);
    expect(visits.status).toBe(200);
    const perimeters = SERVED_IMAGES.map((image) => 2 * (image.width + image.height));
    expect(JSON.parse(visits.text)).toEqual({
      results: [
        {
          store_id: KNOWN_STORE,
          area: '7100015',
          store_name: 'SHREE GANESH STORES',
          data: [{ date: '2024-01-21', perimeter: perimeters }],
        },
      ],
    });
  });

  it('follows a redirect to the image', async () => {
    const submitted = await submit({
      count: 1,
      visits: [visit(AREA_2_STORE, [images.url('/img/moved.jpg')], '2024-02-01T08:00:00+05:30')],
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.body.job_id as number;
    expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
    const visits = JSON.parse((await get(`/api/visits?area=7100016&storeid=${AREA_2_STORE}`)).text);
    expect(visits).toEqual({
      results: [
        {
          store_id: AREA_2_STORE,
          area: '7100016',
          store_name: 'JAI HIND STORE',
          data: [{ date: '2024-02-01', perimeter: [2240] }],
        },
      ],
    });
  });
});

describe('transient failures', () => {
  it('retries an image whose server answers 503 once, through the delay queue, and completes', async () => {
    const before = images.requests();
    const submitted = await submit({
      count: 1,
      visits: [visit(AREA_2_STORE, [images.url('/img/flaky-1-e2e.jpg')], '2024-03-01T10:00:00Z')],
    });
    const jobId = submitted.body.job_id as number;
    expect(await waitForTerminal(stack, jobId)).toEqual({ status: 'completed', job_id: jobId });
    expect(images.requests() - before).toBe(2);
    const visits = JSON.parse(
      (await get(`/api/visits?storeid=${AREA_2_STORE}&startdate=2024-03-01&enddate=2024-03-01`)).text,
    );
    expect(visits.results[0].data).toEqual([{ date: '2024-03-01', perimeter: [2240] }]);
  });
});

describe('failures, per store', () => {
  it('never shows the credentials of a failing image URL', async () => {
    const withSecrets = (path: string, query: string) =>
      `${images.url(path).replace('http://', 'http://reader:s3cret@')}${query}`;
    const redacted = (path: string, query: string) => `${images.url(path).replace('http://', 'http://***@')}${query}`;
    const submitted = await submit({
      count: 1,
      visits: [
        visit(
          OTHER_STORE,
          [
            withSecrets('/img/missing.jpg', '?token=abc123&size=2'),
            withSecrets('/img/page.html', '?X-Amz-Credential=AKIA9&X-Amz-Signature=f00d'),
          ],
          '2024-01-23T10:00:00Z',
        ),
      ],
    });
    expect(submitted.status).toBe(201);
    const final = (await waitForTerminal(stack, submitted.body.job_id as number)) as { error: unknown[] };
    expect(JSON.stringify(final)).not.toMatch(/reader|s3cret|abc123|AKIA9|f00d/);
    expect(final.error).toEqual(
      expect.arrayContaining([
        { store_id: OTHER_STORE, error: `HTTP 404 fetching ${redacted('/img/missing.jpg', '?token=***&size=2')}` },
        {
          store_id: OTHER_STORE,
          error: `not an image (Content-Type text/html) at ${redacted('/img/page.html', '?X-Amz-Credential=***&X-Amz-Signature=***')}`,
        },
      ]),
    );
    expect(final.error).toHaveLength(2);
  });

  it('fails the job and names every store and reason', async () => {
    const submitted = await submit({
      count: 3,
      visits: [
        visit('S99999999', [images.url('/img/shelf.jpg'), images.url('/img/front.png')], '2024-01-22T10:00:00Z'),
        visit(
          OTHER_STORE,
          [images.url('/img/missing.jpg'), images.url('/img/page.html'), images.url('/img/shelf.jpg')],
          '2024-01-22T11:00:00Z',
        ),
        visit(
          KNOWN_STORE,
          [images.url('/img/truncated.jpg'), images.url('/img/broken-server.jpg')],
          '2024-01-22T12:00:00Z',
        ),
      ],
    });
    expect(submitted.status).toBe(201);
    const jobId = submitted.body.job_id as number;
    const final = (await waitForTerminal(stack, jobId)) as { status: string; job_id: number; error: unknown[] };
    expect(Object.keys(final)).toEqual(['status', 'job_id', 'error']);
    expect(final.status).toBe('failed');
    expect(final.job_id).toBe(jobId);
    const byText = (a: unknown, b: unknown) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect([...final.error].sort(byText)).toEqual(
      [
        { store_id: 'S99999999', error: 'unknown store_id S99999999' },
        { store_id: OTHER_STORE, error: `HTTP 404 fetching ${images.url('/img/missing.jpg')}` },
        { store_id: OTHER_STORE, error: `not an image (Content-Type text/html) at ${images.url('/img/page.html')}` },
        { store_id: KNOWN_STORE, error: expect.stringMatching(/^not an image \(/) },
        {
          store_id: KNOWN_STORE,
          error: `HTTP 500 fetching ${images.url('/img/broken-server.jpg')} (after 2 attempts)`,
        },
      ].sort(byText),
    );
    // The one good image of the failed job is still recorded for the visits query.
    const visits = JSON.parse(
      (await get(`/api/visits?storeid=${OTHER_STORE}&startdate=2024-01-22&enddate=2024-01-22`)).text,
    );
    expect(visits.results).toEqual([
      {
        store_id: OTHER_STORE,
        area: '7100015',
        store_name: 'A.K ENTERPRISES, KIRANA',
        data: [{ date: '2024-01-22', perimeter: [2240] }],
      },
    ]);
    // Terminal states never change.
    expect(JSON.parse((await get(`/api/status?jobid=${jobId}`)).text)).toEqual(final);
  });
});

describe('bad requests get a 4xx with a clear message', () => {
  // Never fetched: every one of these requests is refused before a job exists.
  const good = () => visit(KNOWN_STORE, ['https://images.example.com/shelf.jpg'], '2024-01-21T16:23:40.898Z');

  it.each([
    [{ count: 2, visits: [good()] }, 'count (2) does not match the number of visits (1)'],
    [{ visits: [good()] }, 'count: must be an integer'],
    [{ count: 1 }, 'visits: must be an array of visits'],
    [{ count: 1.5, visits: [good()] }, 'count: must be an integer'],
    [{ count: 1, visits: [{ ...good(), store_id: '' }] }, `visits[0].store_id: ${STORE_ID_RULE}`],
    [{ count: 1, visits: [{ ...good(), store_id: 'S1\r\nX-Forged: 1' }] }, `visits[0].store_id: ${STORE_ID_RULE}`],
    [{ count: 1, visits: [{ ...good(), store_id: '\u001b[31mS1\u0000' }] }, `visits[0].store_id: ${STORE_ID_RULE}`],
    [{ count: 1, visits: [{ ...good(), store_id: 'S1\u202E\uD800' }] }, `visits[0].store_id: ${STORE_ID_RULE}`],
    [
      { count: 1, visits: [{ ...good(), image_url: ['http://a/b\r\n.jpg'] }] },
      'visits[0].image_url[0]: must not contain spaces or control characters (percent-encode them)',
    ],
    [{ count: 1, visits: [{ ...good(), image_url: [] }] }, 'visits[0].image_url: must hold at least one URL'],
    [
      { count: 1, visits: [{ ...good(), image_url: ['ftp://x/y.jpg'] }] },
      'visits[0].image_url[0]: must be an http or https URL',
    ],
    [
      { count: 1, visits: [{ ...good(), visit_time: 'yesterday' }] },
      'visits[0].visit_time: must be an RFC 3339 date-time, e.g. 2024-01-21T16:23:40.898Z',
    ],
    [[1, 2], 'request body must be a JSON object with count and visits'],
    ['{"count": 1, "visits": [', 'request body is not valid JSON'],
  ])('submit %j → 400', async (body, message) => {
    expect(await submit(body)).toEqual({ status: 400, body: { error: message } });
  });

  it('refuses a body that is not JSON with 415', async () => {
    const response = await fetch(`${stack.baseUrl}/api/submit`, { method: 'POST', body: 'count=1' });
    expect(response.status).toBe(415);
    expect(await response.json()).toEqual({ error: 'request body must be JSON (Content-Type: application/json)' });
  });

  it.each(['999999999', 'abc', '-1', '1.5', ''])('status of job id %j → 400 {}', async (jobId) => {
    expect(await get(`/api/status?jobid=${jobId}`)).toEqual({ status: 400, text: '{}' });
  });

  it.each([
    ['area=0000000', 'unknown area: 0000000'],
    ['storeid=NOPE', 'unknown store_id: NOPE'],
    [`area=7100016&storeid=${KNOWN_STORE}`, `store ${KNOWN_STORE} is not in area 7100016`],
    [
      'startdate=21-01-2024',
      'startdate must be an RFC 3339 date (2024-01-21) or date-time (2024-01-21T16:23:40Z): 21-01-2024',
    ],
    ['enddate=2024-02-30', 'enddate is not a valid date: 2024-02-30'],
    ['startdate=2024-02-01&enddate=2024-01-01', 'startdate must not be after enddate'],
    ['area=7100015&area=7100016', 'area must be given once'],
    ['storeid=S1%0D%0AX', 'storeid must not contain control characters'],
    ['area=%1B%5B2J7100015', 'area must not contain control characters'],
    ['storeid=S%20%201', `storeid ${STORE_ID_RULE}`],
  ])('visits?%s → 400', async (query, message) => {
    const answer = await get(`/api/visits?${query}`);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.text)).toEqual({ error: message });
  });
});

describe('many jobs at once', () => {
  it('gives every concurrent job a distinct id and settles them all', async () => {
    const jobs = 30;
    const answers = await Promise.all(
      Array.from({ length: jobs }, (_, index) =>
        submit({
          count: 2,
          visits: [
            visit(KNOWN_STORE, [images.url(SERVED_IMAGES[index % SERVED_IMAGES.length]!.path)], '2024-03-01T09:00:00Z'),
            visit(index % 3 === 0 ? 'S00000000' : OTHER_STORE, [images.url('/img/front.png')], '2024-03-01T09:30:00Z'),
          ],
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual(Array(jobs).fill(201));
    const ids = answers.map((answer) => answer.body.job_id as number);
    expect(new Set(ids).size).toBe(jobs);
    const finals = await Promise.all(ids.map((jobId) => waitForTerminal(stack, jobId)));
    finals.forEach((final, index) => {
      if (index % 3 === 0) {
        expect(final).toEqual({
          status: 'failed',
          job_id: ids[index],
          error: [{ store_id: 'S00000000', error: 'unknown store_id S00000000' }],
        });
      } else expect(final).toEqual({ status: 'completed', job_id: ids[index] });
    });
    // Every body held while measuring was given back to the processor's memory budget.
    const processorHealth = async () =>
      (await (await fetch(`http://127.0.0.1:${stack.ports['image-processor']}/health`)).json()) as {
        inFlight: number;
        bodyBytes: { held: number; peak: number; total: number };
      };
    await until(async () => (await processorHealth()).inFlight === 0); // the last acks follow the settle closely
    const processor = await processorHealth();
    expect(processor.bodyBytes).toMatchObject({ held: 0, total: 128 * 1024 * 1024 });
    expect(processor.bodyBytes.peak).toBeGreaterThan(0);
    const visits = JSON.parse((await get('/api/visits?area=7100015&startdate=2024-03-01&enddate=2024-03-01')).text);
    const perimetersOf = (storeId: string) =>
      visits.results.find((result: { store_id: string }) => result.store_id === storeId).data[0].perimeter.length;
    expect(perimetersOf(KNOWN_STORE)).toBe(jobs);
    expect(perimetersOf(OTHER_STORE)).toBe(jobs - Math.ceil(jobs / 3));
  });
});

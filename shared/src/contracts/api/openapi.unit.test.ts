import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { DocumentedAnswers } from '../../../../test/support/openapi';
import {
  apiRoutes,
  apiWebhooks,
  jobSettledWebhookSchema,
  openApiDocument,
  retailPulseOpenApi,
  type ApiRoute,
} from './index';

const document = retailPulseOpenApi();

/**
 * What @seriousme/openapi-schema-validator says of a document (the OpenAPI 3.1 schema and its
 * dialect). The package is ES modules only, which jest's CommonJS cannot load: its CLI runs it.
 */
function validateOpenApi(candidate: unknown): { valid: boolean; errors?: unknown } {
  const dir = mkdtempSync(join(tmpdir(), 'rp-openapi-'));
  try {
    const file = join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(candidate));
    const cli = require.resolve('@seriousme/openapi-schema-validator/bin/validate-api-cli.js');
    try {
      return JSON.parse(execFileSync(process.execPath, [cli, file], { encoding: 'utf8' })) as { valid: boolean };
    } catch (error) {
      return JSON.parse((error as { stdout: string }).stdout) as { valid: boolean; errors: unknown };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', () => {
    expect(document.openapi).toBe('3.1.0');
    expect(validateOpenApi(document)).toEqual({ valid: true });
  });

  it('is checked by a validator that refuses an invalid one', () => {
    expect(validateOpenApi({ ...document, info: { title: 'no version' } }).valid).toBe(false);
  });

  it('holds every declared route, each with examples of its answers', () => {
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
    for (const route of apiRoutes) expect(paths[route.path]?.[route.method]).toBeDefined();
    expect(Object.keys(paths).sort()).toEqual([
      '/',
      '/api/jobs',
      '/api/jobs/events',
      '/api/jobs/{job_id}',
      '/api/jobs/{job_id}/cancel',
      '/api/jobs/{job_id}/events',
      '/api/jobs/{job_id}/images',
      '/api/jobs/{job_id}/retry',
      '/api/ops/dead-letters',
      '/api/ops/dead-letters/redrive',
      '/api/ops/pipeline',
      '/api/ops/read-models',
      '/api/ops/store-master',
      '/api/status',
      '/api/submit/',
      '/api/visits',
      '/assets/{file}',
      '/docs',
      '/docs/{file}',
      '/openapi.json',
    ]);
  });

  it('gives examples its own schemas accept', () => {
    const answers = new DocumentedAnswers(document);
    let checked = 0;
    for (const route of apiRoutes) {
      for (const [status, response] of Object.entries(route.responses)) {
        const documented = answers.answerOf(route.path, route.method, Number(status));
        for (const [name, example] of Object.entries(response.examples ?? {})) {
          const problems = answers.problems(documented, {
            contentType: response.contentType ?? 'application/json',
            body: example.value,
            headers: new Headers(Object.keys(response.headers ?? {}).map((header): [string, string] => [header, '1'])),
          });
          expect({ route: `${route.method} ${route.path} ${status} ${name}`, problems }).toEqual({
            route: `${route.method} ${route.path} ${status} ${name}`,
            problems: [],
          });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });

  it('states the request examples the services accept', () => {
    for (const route of apiRoutes) {
      for (const example of Object.values(route.requestBody?.examples ?? {})) {
        expect(route.requestBody!.schema.safeParse(example.value).success).toBe(true);
      }
    }
  });

  it('describes the job-settled webhook: its headers, and a body its own schema and the document accept', () => {
    const webhooks = document.webhooks as Record<string, { post: Record<string, unknown> }>;
    const post = webhooks.jobSettled!.post as {
      parameters: Array<{ name: string; in: string; required: boolean }>;
      requestBody: { content: { 'application/json': { schema: Record<string, unknown> } } };
    };
    expect(post.parameters.map(({ name, in: where, required }) => [name, where, required])).toEqual([
      ['X-RP-Signature', 'header', true],
      ['X-RP-Webhook-Id', 'header', true],
      ['X-RP-Event', 'header', true],
      ['X-RP-Delivery-Attempt', 'header', true],
    ]);
    const answers = new DocumentedAnswers(document);
    for (const webhook of apiWebhooks) {
      for (const example of Object.values(webhook.examples)) {
        expect(jobSettledWebhookSchema.safeParse(example.value).success).toBe(true);
        const documented = { content: { 'application/json': post.requestBody.content['application/json'] } };
        expect(
          answers.problems(documented, {
            contentType: 'application/json',
            body: example.value,
            headers: new Headers(),
          }),
        ).toEqual([]);
        const { webhook_id: _id, ...detail } = example.value as Record<string, unknown>;
        expect(
          answers.problems(documented, { contentType: 'application/json', body: detail, headers: new Headers() }),
        ).not.toEqual([]);
      }
    }
  });

  it('lets a route be added by declaring it', () => {
    const pause: ApiRoute = {
      method: 'post',
      path: '/api/jobs/{job_id}/pause',
      operationId: 'pauseJob',
      summary: 'Pause a job',
      tags: ['jobs'],
      pathParams: z.object({ job_id: z.string().regex(/^[0-9]+$/) }),
      responses: {
        200: { description: 'The job.', schema: z.object({ job_id: z.number() }).meta({ id: 'PausedJob' }) },
      },
    };
    const extended = openApiDocument([...apiRoutes, pause], { title: 't', version: '1', description: 'd' });
    const paths = extended.paths as Record<string, Record<string, { parameters: unknown[] }>>;
    expect(paths['/api/jobs/{job_id}/pause']?.post?.parameters).toEqual([
      { name: 'job_id', in: 'path', required: true, schema: { type: 'string', pattern: '^[0-9]+$' } },
    ]);
    expect((extended.components as { schemas: Record<string, unknown> }).schemas.PausedJob).toBeDefined();
  });

  it('refuses two routes with one method and path', () => {
    expect(() =>
      openApiDocument([apiRoutes[0]!, apiRoutes[0]!], { title: 't', version: '1', description: 'd' }),
    ).toThrow('declared twice');
  });
});

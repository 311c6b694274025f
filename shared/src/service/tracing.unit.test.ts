import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { serviceNameOf, tracingRequested } from './tracing';

const root = resolve(__dirname, '../../..');

/**
 * What a process that imports the composition roots' first module has loaded and patched: run in
 * a child process as a service is (`node --import tsx`), since jest's module registry is not
 * Node's and instrumentation patches Node's.
 */
async function afterInstrument(env: Record<string, string>): Promise<{ loaded: string[]; patched: boolean }> {
  const script = `
    require('@retail-pulse/shared/service/instrument');
    const Koa = require('koa');
    const loaded = Object.keys(require.cache)
      .map((file) => /node_modules\\/(@opentelemetry\\/[^/]+)/.exec(file)?.[1])
      .filter((name) => name !== undefined);
    console.log(JSON.stringify({ loaded: [...new Set(loaded)].sort(), patched: '__wrapped' in Koa.prototype.use }));
  `;
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: root,
    env: { ...base, ...env },
  });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as { loaded: string[]; patched: boolean };
}

describe('tracing', () => {
  it('loads and starts nothing without an OTLP endpoint', async () => {
    const { loaded, patched } = await afterInstrument({});
    // The API alone (no-op without an SDK) may be there: the logger and the broker call it.
    expect(loaded.filter((name) => name !== '@opentelemetry/api')).toEqual([]);
    expect(patched).toBe(false);
  });

  it('instruments the modules loaded after it when an endpoint is set', async () => {
    // Nothing is exported: no span is made before the process ends.
    const { loaded, patched } = await afterInstrument({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' });
    expect(loaded).toEqual(expect.arrayContaining(['@opentelemetry/sdk-node', '@opentelemetry/instrumentation-koa']));
    expect(patched).toBe(true);
  });

  it('is asked for by the standard variables', () => {
    expect(tracingRequested({})).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' })).toBe(true);
    expect(tracingRequested({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://jaeger:4318/v1/traces' })).toBe(true);
  });

  it("names the service after the composition root's folder", () => {
    expect(serviceNameOf('services/image-processor/src/index.ts')).toBe('image-processor');
    expect(serviceNameOf('/app/services/status-api/src/index.ts')).toBe('status-api');
    expect(serviceNameOf('shared/src/storeMaster/importCli.ts')).toBeUndefined();
    expect(serviceNameOf(undefined)).toBeUndefined();
  });
});

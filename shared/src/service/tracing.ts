import type { NodeSDK } from '@opentelemetry/sdk-node';

/**
 * The process's tracing SDK, when one was started. Instrumentation patches modules process-wide
 * as they load, so there is one per process by nature, not by choice of this module.
 */
let sdk: NodeSDK | undefined;

/** Tracing is on when an OTLP endpoint is named (the standard variables, for all signals or for traces). */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

/** `services/<name>/src/index.ts` → `<name>`: the service a process runs, from its entry script. */
export function serviceNameOf(entryScript: string | undefined): string | undefined {
  return /services[/\\]([^/\\]+)[/\\]src[/\\]/.exec(entryScript ?? '')?.[1];
}

/**
 * Starts tracing when it was asked for, before the modules it instruments are loaded. Without an
 * endpoint nothing is loaded or started: no SDK, no instrumentation, no cost.
 */
export function startTracing(env: NodeJS.ProcessEnv, entryScript: string | undefined): boolean {
  if (sdk || !tracingRequested(env)) return false;
  // Loaded only now, and synchronously: the composition root's next imports must find their
  // modules patched. (A dynamic import() would resolve after they had loaded.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createTracingSdk } = require('./tracingSdk') as typeof import('./tracingSdk');
  sdk = createTracingSdk(env.OTEL_SERVICE_NAME ? undefined : serviceNameOf(entryScript));
  sdk.start();
  return true;
}

/** Exports the spans still buffered and stops the SDK (a no-op when tracing is off). */
export async function stopTracing(): Promise<void> {
  const running = sdk;
  sdk = undefined;
  await running?.shutdown().catch(() => undefined);
}

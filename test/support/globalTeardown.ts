export default async function globalTeardown(): Promise<void> {
  const started = globalThis.retailPulseTestInfra;
  if (!started) return;
  await Promise.all(started.containers.map((container) => container.stop()));
  if (started.ferretDb) started.ferretDb.kill('SIGTERM');
}

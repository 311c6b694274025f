/** Waits until `probe` holds (checked every `everyMs`), failing after `timeoutMs` with what it waited for. */
export async function until(
  probe: () => Promise<boolean> | boolean,
  {
    timeoutMs = 30_000,
    everyMs = 50,
    what = 'the condition',
  }: { timeoutMs?: number; everyMs?: number; what?: string } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} did not hold within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

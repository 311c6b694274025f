import { SingleBar } from 'cli-progress';

export interface ProgressReporter {
  update(done: number, total: number): void;
  stop(): void;
}

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const minutes = Math.floor(seconds / 60);
  return minutes > 0 ? `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s` : `${Math.round(seconds)}s`;
}

/**
 * Progress of a long run: a live bar with rate and ETA on a terminal, a plain line every few
 * seconds otherwise (logs, CI).
 */
export function progressReporter(
  label: string,
  unit: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter {
  const started = Date.now();
  const rateOf = (done: number) => done / Math.max((Date.now() - started) / 1000, 0.001);
  if (stream.isTTY) {
    const bar = new SingleBar({
      format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate} ${unit}/s | ETA {eta}`,
      stream,
      hideCursor: true,
      barsize: 30,
    });
    let started_ = false;
    return {
      update(done, total) {
        const rate = rateOf(done);
        const payload = { rate: Math.round(rate), eta: formatEta((total - done) / rate) };
        if (!started_) {
          bar.start(Math.max(total, done), done, payload);
          started_ = true;
        } else {
          bar.setTotal(Math.max(total, done));
          bar.update(done, payload);
        }
      },
      stop: () => bar.stop(),
    };
  }
  let lastLine = 0;
  return {
    update(done, total) {
      if (Date.now() - lastLine < 2_000 && done < total) return;
      lastLine = Date.now();
      const rate = rateOf(done);
      const percent = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 100;
      stream.write(
        `${label}: ${done}/${total} ${unit} (${percent}%), ${Math.round(rate)} ${unit}/s, ETA ${formatEta((total - done) / rate)}\n`,
      );
    },
    stop: () => undefined,
  };
}

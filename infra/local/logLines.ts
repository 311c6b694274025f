/**
 * How `npm start` prints: each service's pino JSON lines rendered readable under its name (in its
 * colour on a terminal), and the supervisor's own lines.
 */

/** The services' colours on a terminal, in turn. */
export const colors = [36, 35, 33, 32, 34, 91, 92, 93, 94, 95];
const tty = process.stdout.isTTY;
const levelNames: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** A line of the supervisor's own, as `time [start] message`. */
export function say(message: string): void {
  console.log(
    `${new Date().toISOString().slice(11, 23)} ${tty ? '\x1b[1m' : ''}[start]${tty ? '\x1b[0m' : ''} ${message}`,
  );
}

/** Renders a pino JSON line as `time LEVEL [service] message key=value`; other lines pass through. */
export function renderLogLine(name: string, line: string, color: number): string {
  const prefix = tty ? `\x1b[${color}m[${name}]\x1b[0m` : `[${name}]`;
  try {
    const {
      level,
      time,
      msg,
      service: _service,
      name: _name,
      pid: _pid,
      hostname: _hostname,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>;
    const extras = Object.entries(rest)
      .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
      .join(' ');
    const stamp = new Date(typeof time === 'number' ? time : Date.now()).toISOString().slice(11, 23);
    return `${stamp} ${(levelNames[Number(level)] ?? 'INFO').padEnd(5)} ${prefix} ${String(msg ?? '')}${extras ? ` ${extras}` : ''}`;
  } catch {
    return `${new Date().toISOString().slice(11, 23)}       ${prefix} ${line}`;
  }
}

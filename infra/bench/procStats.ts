/** What Linux says of a process in /proc, for the benchmarks: memory and CPU time. */
import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/** A `kB` line of /proc/<pid>/status in bytes (VmRSS: resident now, VmHWM: the peak so far). */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const match = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resident memory of a process now, in bytes; undefined once it is gone. */
export function rssBytes(pid: number): number | undefined {
  return statusBytes(pid, 'VmRSS');
}

/** Peak resident memory of a process so far (the kernel's high-water mark), in MB. */
export function peakRssMb(pid: number | undefined): number | undefined {
  const bytes = pid === undefined ? undefined : statusBytes(pid, 'VmHWM');
  return bytes === undefined ? undefined : Math.round(bytes / MiB);
}

/** CPU time a process has used so far (user + system), in seconds; undefined once it is gone. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

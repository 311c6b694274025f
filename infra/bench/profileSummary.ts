/**
 * `npm run bench:profile -- <dir>`: summarises the V8 CPU profiles `npm run bench` writes when
 * BENCH_CPU_PROFILE_DIR is set — per service, busy time and the functions that take it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const directory = process.argv[2];
if (!directory) {
  console.error('usage: npm run bench:profile -- <directory of .cpuprofile files>');
  process.exit(2);
}
// One folder per service; one profile per thread (the main one is the largest).
const files = readdirSync(directory, { recursive: true, encoding: 'utf8' }).filter((name) =>
  name.endsWith('.cpuprofile'),
);
for (const file of files) {
  const profile = JSON.parse(readFileSync(join(directory, file), 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    totalMs += ms;
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${basename(frame.url)}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    selfMs.set(key, (selfMs.get(key) ?? 0) + ms);
  });
  const idle = selfMs.get('(idle)') ?? 0;
  const top = [...selfMs]
    .filter(([key]) => key !== '(idle)')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8);
  console.log(
    `${file}: ${(totalMs / 1000).toFixed(1)} s profiled, busy ${(((totalMs - idle) / totalMs) * 100).toFixed(0)} %`,
  );
  for (const [key, ms] of top) console.log(`  ${((ms / totalMs) * 100).toFixed(1).padStart(5)} %  ${key}`);
}

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** Runs a Node process that calls runInBackground(nice) and prints each of its threads' nice value. */
function threadNicesAfter(nice: number): number[] {
  const config = join(__dirname, 'config.ts');
  const script = `
    const { readdirSync, readFileSync } = require('node:fs');
    require(${JSON.stringify(config)}).runInBackground(${nice});
    const nices = readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
    });
    console.log(JSON.stringify(nices));`;
  const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').pop()!) as number[];
}

describe('runInBackground', () => {
  it('lowers every thread the process has, not only the main one (Linux priorities are per thread)', () => {
    const nices = threadNicesAfter(7);
    expect(nices.length).toBeGreaterThan(1);
    expect(new Set(nices)).toEqual(new Set([7]));
  });

  it('leaves every thread as it was at 0', () => {
    expect(new Set(threadNicesAfter(0))).toEqual(new Set([0]));
  });
});

import { createTestEnvironment, type TestEnvironment } from '../../../../test/support/testEnvironment';
import { ProjectionState } from '@retail-pulse/shared/readModels';
import { JobIdAllocator } from './jobIds';

let environment: TestEnvironment;
beforeEach(async () => {
  environment = await createTestEnvironment('job-ids');
});
afterEach(async () => {
  await environment.cleanup();
});

describe('JobIdAllocator on a real MongoDB-protocol server', () => {
  it('hands out unique ids across instances, increasing within one, while blocks are reserved ahead', async () => {
    const first = new JobIdAllocator(environment.db, 10);
    const second = new JobIdAllocator(environment.db, 10);
    // Many concurrent submits on both instances: blocks run out while the next is being reserved.
    const [fromFirst, fromSecond] = await Promise.all(
      [first, second].map((allocator) => Promise.all(Array.from({ length: 250 }, () => allocator.allocate()))),
    );
    const all = [...fromFirst!, ...fromSecond!];
    expect(new Set(all).size).toBe(500);
    expect(all.every((id) => Number.isInteger(id) && id > 0)).toBe(true);
    // Within one instance, calls that follow one another get increasing ids.
    const sequential: number[] = [];
    for (let index = 0; index < 35; index++) sequential.push(await first.allocate());
    expect(sequential).toEqual([...sequential].sort((a, b) => a - b));
    expect(sequential[0]!).toBeGreaterThan(Math.max(...fromFirst!));
  });

  it('skips the rest of a block after a restart instead of reusing it', async () => {
    const before = new JobIdAllocator(environment.db, 10);
    const used = [await before.allocate(), await before.allocate()];
    const after = new JobIdAllocator(environment.db, 10);
    expect(await after.allocate()).toBeGreaterThan(Math.max(...used));
  });

  it('hands out ids above every job id in the log, as in a restored installation', async () => {
    await new ProjectionState(environment.db).reserveThrough(900, 25);
    const allocator = new JobIdAllocator(environment.db, 10);
    expect(await allocator.allocate()).toBe(31);
    await new ProjectionState(environment.db).reserveThrough(1000, 30);
    expect(await new JobIdAllocator(environment.db, 10).allocate()).toBe(41);
  });

  it('reads the highest job id from the log itself when the log has no mark of it', async () => {
    await environment.db.collection('events').insertMany([
      { _id: 'a' as never, type: 'JobSubmitted', jobId: 7, position: 1 },
      { _id: 'b' as never, type: 'JobSubmitted', jobId: 12, position: 2 },
      { _id: 'c' as never, type: 'ImageProcessed', jobId: 99, position: 3 },
    ]);
    expect(await new JobIdAllocator(environment.db, 10).allocate()).toBe(21);
  });
});

import { MongoClient, type CommandStartedEvent } from 'mongodb';
import { createTestEnvironment, type TestEnvironment } from '../../../test/support/testEnvironment';
import { readModelCollections } from './generations';
import { ProjectionState } from './projectionState';
import { ServedReadModels } from './served';

let environment: TestEnvironment;
let client: MongoClient;
const reads: string[] = [];
beforeEach(async () => {
  environment = await createTestEnvironment('served');
  client = new MongoClient(environment.mongoUrl, { monitorCommands: true });
  client.on('commandStarted', (event: CommandStartedEvent) => {
    if (event.commandName === 'find') reads.push(String(event.command.find));
  });
  await client.connect();
  reads.length = 0;
});
afterEach(async () => {
  await client.close();
  await environment.cleanup();
});

describe('ServedReadModels, on the real database', () => {
  it('answers requests that find it out of date at once with one read, and sees a switch on the next', async () => {
    const served = new ServedReadModels(client.db(environment.dbName), 0);
    const answers = await Promise.all(Array.from({ length: 16 }, () => served.current()));
    expect(reads).toEqual(['projection_state']);
    expect(new Set(answers.map((names) => names.jobOutcomes)).size).toBe(1);
    await new ProjectionState(environment.db).setActive({ jobStatus: 7, visits: 7, jobs: 7 });
    expect((await served.current()).jobOutcomes).toBe(readModelCollections(7).jobOutcomes);
    expect(reads).toEqual(['projection_state', 'projection_state']);
  });
});

import { foldStages } from './projector';

describe('foldStages', () => {
  it('folds the visits first, then job status, then the jobs model, whatever order they are held in', () => {
    const models = [{ name: 'jobs' as const }, { name: 'jobStatus' as const }, { name: 'visits' as const }];
    expect(foldStages(models).map((stage) => stage.map((model) => model.name))).toEqual([
      ['visits'],
      ['jobStatus'],
      ['jobs'],
    ]);
  });

  it('leaves out the stages of models not held (a rebuild of one model)', () => {
    expect(foldStages([{ name: 'jobs' as const }]).map((stage) => stage.map((model) => model.name))).toEqual([
      ['jobs'],
    ]);
  });
});

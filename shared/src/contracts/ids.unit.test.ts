import { imageIdOf, imageSettledEventId, jobSubmittedEventId, uuidFromName } from './ids';

describe('deterministic ids', () => {
  it('derives the same UUID from the same name, and different ones from different names', () => {
    expect(uuidFromName('a')).toBe(uuidFromName('a'));
    expect(uuidFromName('a')).not.toBe(uuidFromName('b'));
    expect(uuidFromName('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives one settlement id per image, whatever the outcome', () => {
    const imageId = imageIdOf(12, 0, 3);
    expect(imageId).toBe('12:0:3');
    expect(imageSettledEventId(imageId)).toBe(imageSettledEventId('12:0:3'));
    expect(imageSettledEventId(imageId)).not.toBe(imageSettledEventId('12:0:4'));
    expect(jobSubmittedEventId(12)).not.toBe(jobSubmittedEventId(13));
  });
});

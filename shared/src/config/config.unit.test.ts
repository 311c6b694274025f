import { z } from 'zod';
import { ConfigError, env, loadConfig } from './config';

const schema = z.object({ PORT: env.int(8080, 1, 65_535), DEBUG: env.boolean(false), NAME: env.string('rp') });

describe('loadConfig', () => {
  it('applies defaults and parses values', () => {
    expect(loadConfig(schema, {})).toEqual({ PORT: 8080, DEBUG: false, NAME: 'rp' });
    expect(loadConfig(schema, { PORT: '9000', DEBUG: 'true', NAME: 'x' })).toEqual({
      PORT: 9000,
      DEBUG: true,
      NAME: 'x',
    });
  });

  it('fails naming the variable', () => {
    expect(() => loadConfig(schema, { PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig(schema, { PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig(schema, { DEBUG: 'maybe' })).toThrow(/DEBUG: expected true or false/);
  });
});

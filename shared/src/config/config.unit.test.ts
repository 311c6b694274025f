import { z } from 'zod';
import { commonConfigSchema, ConfigError, env, loadConfig } from './config';
import { amqpNodeUrls } from '../messaging/nodes';

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

describe('AMQP_URL', () => {
  it('takes one node or a comma-separated list of nodes', () => {
    expect(loadConfig(commonConfigSchema, {}).AMQP_URL).toBe('amqp://guest:guest@127.0.0.1:5672');
    const cluster = 'amqp://guest:guest@127.0.0.1:5681, amqp://guest:guest@127.0.0.1:5682,amqps://h3:5671';
    expect(amqpNodeUrls(loadConfig(commonConfigSchema, { AMQP_URL: cluster }).AMQP_URL)).toEqual([
      'amqp://guest:guest@127.0.0.1:5681',
      'amqp://guest:guest@127.0.0.1:5682',
      'amqps://h3:5671',
    ]);
  });

  it('fails naming the variable and the part that is not an AMQP URL', () => {
    expect(() => loadConfig(commonConfigSchema, { AMQP_URL: 'amqp://a:5672,http://b:80' })).toThrow(
      /AMQP_URL: http:\/\/b:80 is not an amqp:\/\/ or amqps:\/\/ URL/,
    );
    expect(() => loadConfig(commonConfigSchema, { AMQP_URL: ' , ' })).toThrow(/AMQP_URL: names no broker node/);
  });
});

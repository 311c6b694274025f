import { actingOn } from './actingOn';

describe('actingOn', () => {
  const config = {
    MONGO_URL: 'mongodb://admin:hunter2@db.internal:27017/?authSource=admin',
    MONGO_DB: 'retail_pulse',
    AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
    TOPOLOGY_PREFIX: 'rp',
  };

  it('names the database, the broker and the prefix, without credentials', () => {
    expect(actingOn(config, { database: true, broker: true })).toBe(
      'acting on database retail_pulse at mongodb://***@db.internal:27017/?authSource=admin and broker amqp://***@127.0.0.1:5672 with prefix rp',
    );
    expect(actingOn(config, { database: true })).toBe(
      'acting on database retail_pulse at mongodb://***@db.internal:27017/?authSource=admin',
    );
    expect(actingOn(config, { broker: true })).toBe('acting on broker amqp://***@127.0.0.1:5672 with prefix rp');
  });
});

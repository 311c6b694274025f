import { isForbiddenAddress, isRefusedAddress } from './addressGuard';

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fe80::1',
    'fd00:ec2::254',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    'not-an-ip',
  ])('refuses %s', (address) => expect(isForbiddenAddress(address)).toBe(true));

  it.each(['8.8.8.8', '93.184.216.34', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'allows %s',
    (address) => expect(isForbiddenAddress(address)).toBe(false),
  );
});

describe('isRefusedAddress with private networks allowed (development)', () => {
  it.each(['127.0.0.1', '10.1.2.3', '192.168.1.1', '::1'])('allows %s', (address) =>
    expect(isRefusedAddress(address, true)).toBe(false),
  );
  it.each(['169.254.169.254', '::ffff:169.254.169.254', 'fd00:ec2::254', '100.100.100.200'])(
    'still refuses the cloud metadata address %s',
    (address) => expect(isRefusedAddress(address, true)).toBe(true),
  );
  it('refuses everything private when not allowed', () => expect(isRefusedAddress('127.0.0.1', false)).toBe(true));
});

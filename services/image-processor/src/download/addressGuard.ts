import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP, type LookupFunction } from 'node:net';

/**
 * Addresses an image URL or a webhook's callback URL may not reach: loopback, private, shared, link-local (cloud metadata
 * lives at 169.254.169.254), multicast, reserved and unspecified ranges, for IPv4 and IPv6.
 */
const forbidden = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  forbidden.addSubnet(network, prefix, 'ipv6');
}

/** Cloud instance-metadata endpoints: refused even when private networks are allowed. */
const metadata = new BlockList();
metadata.addAddress('169.254.169.254', 'ipv4');
metadata.addAddress('169.254.170.2', 'ipv4');
metadata.addAddress('100.100.100.200', 'ipv4');
metadata.addAddress('fd00:ec2::254', 'ipv6');

function judge(address: string, list: BlockList): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return judge(mapped[1]!, list);
  const family = isIP(address);
  if (family === 4) return list.check(address, 'ipv4');
  if (family === 6) return list.check(address, 'ipv6');
  return true;
}

/**
 * True when an image download or a webhook delivery may not contact this literal IP address. IPv4-mapped IPv6 is judged
 * as IPv4. `allowPrivateNetworks` (development and tests) lifts every range but cloud metadata.
 */
export function isRefusedAddress(address: string, allowPrivateNetworks: boolean): boolean {
  return allowPrivateNetworks ? judge(address, metadata) : judge(address, forbidden);
}

/** True when a literal IP address must not be contacted. IPv4-mapped IPv6 is judged as IPv4. */
export function isForbiddenAddress(address: string): boolean {
  return judge(address, forbidden);
}

/**
 * DNS lookup that refuses forbidden addresses, so the check holds for every connection a client
 * makes with it (image downloads, redirects included, and webhook deliveries). Literal IP
 * addresses are never looked up: callers check those with `isRefusedAddress` themselves.
 */
export function guardedLookup(allowPrivateNetworks: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((entry) => !isRefusedAddress(entry.address, allowPrivateNetworks));
      if (allowed.length === 0) {
        const refused = Object.assign(new Error(`${hostname} resolves to a forbidden address`), {
          code: 'EFORBIDDENADDRESS',
        });
        return callback(refused, '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      const first = allowed[0]!;
      callback(null, first.address, first.family);
    });
  };
}

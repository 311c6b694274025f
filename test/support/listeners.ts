import { readFileSync } from 'node:fs';
import { SocketAddress } from 'node:net';

/** One IPv4 address as /proc/net/tcp writes it: 8 hex digits, the bytes in host (little-endian) order. */
function ipv4(hex: string): string {
  return Buffer.from(hex, 'hex').reverse().join('.');
}

/** One IPv6 address as /proc/net/tcp6 writes it: four 32-bit words, each in host order. */
function ipv6(hex: string): string {
  const bytes = Buffer.concat([0, 8, 16, 24].map((at) => Buffer.from(hex.slice(at, at + 8), 'hex').reverse()));
  const groups = Array.from({ length: 8 }, (_, index) => bytes.readUInt16BE(index * 2).toString(16));
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/**
 * The local addresses on which something of this machine listens on TCP `port`, read from the
 * kernel's socket tables (Linux): what a bind really is, whatever a service says in its log.
 */
export function listeningAddresses(port: number): string[] {
  const addresses: string[] = [];
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
      const [, local, , state] = line.trim().split(/\s+/);
      const [address, portHex] = (local ?? '').split(':');
      const listening = state === '0A';
      if (listening && address && portHex && parseInt(portHex, 16) === port) addresses.push(decode(address));
    }
  }
  return addresses.sort();
}

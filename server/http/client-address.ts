/**
 * Who is asking: the client's address, for the per-address limits. Behind a reverse proxy
 * the socket's address is the proxy's, so the address comes from a header the proxy sets
 * (ADDRESS_HEADER, with XFF_DEPTH trusted proxies for X-Forwarded-For), the way
 * @sveltejs/adapter-node reads it. Limits count IPv6 addresses per /64: one household or
 * phone gets a whole /64, and counting single addresses would let it walk around the limit.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';

export interface AddressConfig {
	addressHeader: string | null;
	xffDepth: number;
}

export function clientAddress(req: IncomingMessage, config: AddressConfig): string {
	const own = req.socket.remoteAddress ?? 'unknown';
	if (!config.addressHeader) return own;
	const raw = req.headers[config.addressHeader];
	const value = Array.isArray(raw) ? raw.join(',') : raw;
	if (!value) return own;
	if (config.addressHeader !== 'x-forwarded-for') return value.trim();
	const hops = value.split(',').map((hop) => hop.trim()).filter(Boolean);
	return hops[hops.length - config.xffDepth] ?? hops[0] ?? own;
}

/** The unit limits count: an IPv4 address, or the /64 an IPv6 address is in. */
export function addressBucket(address: string): string {
	const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
	if (mapped) return mapped[1];
	if (isIPv4(address)) return address;
	if (!isIPv6(address)) return address.slice(0, 64);
	return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
	const [head, tail = ''] = address.split('%')[0].split('::');
	const left = head ? head.split(':') : [];
	const right = address.includes('::') && tail ? tail.split(':') : [];
	const missing = address.includes('::') ? 8 - left.length - right.length : 0;
	return [...left, ...Array<string>(Math.max(0, missing)).fill('0'), ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''));
}

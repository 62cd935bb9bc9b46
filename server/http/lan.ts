/**
 * The addresses phones on the same network can reach this machine at. A facilitator who
 * opened the app as http://localhost:3000 would otherwise put "localhost" in the QR code,
 * which on a phone means the phone.
 */
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

/** Interfaces that are not the room's Wi-Fi: containers, VMs, VPN tunnels. */
const VIRTUAL = /^(docker|br-|veth|virbr|vmnet|vboxnet|tun|tap|wg|utun|lo)/i;

function isPrivate(address: string): boolean {
	const [a, b] = address.split('.').map(Number);
	return a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31);
}

/** IPv4 addresses of this machine a phone on the LAN could use, the likeliest first. */
export function lanAddresses(interfaces: Record<string, NetworkInterfaceInfo[] | undefined> = networkInterfaces()): string[] {
	const found: Array<{ address: string; rank: number }> = [];
	for (const [name, infos] of Object.entries(interfaces)) {
		for (const info of infos ?? []) {
			if (info.family !== 'IPv4' || info.internal || info.address.startsWith('169.254.')) continue;
			// Private addresses on real interfaces first; then other real ones; virtual ones last.
			const rank = (VIRTUAL.test(name) ? 2 : 0) + (isPrivate(info.address) ? 0 : 1);
			found.push({ address: info.address, rank });
		}
	}
	return found.sort((x, y) => x.rank - y.rank).map((entry) => entry.address);
}

const LOOPBACK_HOST = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

export function isLoopbackHost(host: string): boolean {
	return LOOPBACK_HOST.test(host);
}

/** Where phones can reach a server listening on `host`: every LAN address, that address, or none (loopback). */
export function reachableAddresses(host: string): string[] {
	if (host === '0.0.0.0' || host === '::') return lanAddresses();
	if (isLoopbackHost(host) || host === '::1') return [];
	return [host];
}

import type { NetworkInterfaceInfo } from 'node:os';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { lanAddresses, reachableAddresses } from '../../server/http/lan.ts';
import { loadConfig } from '../../server/config.ts';
import { linkOrigin } from '../../server/origin.ts';

const v4 = (address: string, internal = false) => ({ address, family: 'IPv4', internal, netmask: '255.255.255.0', mac: '00:00:00:00:00:00', cidr: null }) as unknown as NetworkInterfaceInfo;
const v6 = (address: string) => ({ address, family: 'IPv6', internal: false, netmask: 'ffff::', mac: '00:00:00:00:00:00', cidr: null, scopeid: 0 }) as unknown as NetworkInterfaceInfo;

describe('the addresses phones can reach this computer at', () => {
	it('picks private addresses on real interfaces first, then others, skipping loopback, link-local and IPv6', () => {
		expect(
			lanAddresses({
				lo: [v4('127.0.0.1', true)],
				docker0: [v4('172.17.0.1')],
				wlan0: [v4('192.168.1.20'), v6('fe80::1')],
				eth1: [v4('203.0.113.5')],
				eth2: [v4('169.254.10.10')]
			})
		).toEqual(['192.168.1.20', '203.0.113.5', '172.17.0.1']);
		expect(lanAddresses({ lo: [v4('127.0.0.1', true)] })).toEqual([]);
		expect(lanAddresses({})).toEqual([]);
	});

	it('listening on loopback reaches no phone; on one address, that one', () => {
		expect(reachableAddresses('127.0.0.1')).toEqual([]);
		expect(reachableAddresses('localhost')).toEqual([]);
		expect(reachableAddresses('10.0.0.7')).toEqual(['10.0.0.7']);
	});

	it('share links: PUBLIC_ORIGIN, else the request’s host, else (on localhost) the LAN address, else localhost, said as such', () => {
		const request = (host: string) => ({ headers: { host } }) as unknown as IncomingMessage;
		const config = loadConfig({});
		expect(linkOrigin(request('localhost:3000'), loadConfig({ PUBLIC_ORIGIN: 'https://atlas.example.org' }), () => ['192.168.1.20'])).toEqual({ origin: 'https://atlas.example.org', source: 'public' });
		expect(linkOrigin(request('192.168.1.20:3000'), config, () => ['192.168.1.20'])).toEqual({ origin: 'http://192.168.1.20:3000', source: 'request' });
		expect(linkOrigin(request('localhost:3000'), config, () => ['192.168.1.20', '10.0.0.2'])).toEqual({ origin: 'http://192.168.1.20:3000', source: 'lan' });
		expect(linkOrigin(request('127.0.0.1:3000'), config, () => [])).toEqual({ origin: 'http://127.0.0.1:3000', source: 'loopback' });
		expect(linkOrigin(request('bad host'), config, () => [])).toBeNull();
	});
});

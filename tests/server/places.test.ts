/**
 * Place search against the real server process: the offline gazetteer, an upstream
 * geocoder (a fake one in this process) merged after it, and a new map whose Place is
 * one the gazetteer knows starting there.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, withDeadline } from '../helpers/sync-clients.ts';

interface PlaceJson {
	name: string;
	country: string;
	admin: string;
	lon: number;
	lat: number;
	population: number;
	zoom: number;
	source: string;
}

let server: TestServer;
let upstream: Server;
const asked: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
let upstreamFails = false;

async function places(q: string): Promise<{ status: number; body: { places?: PlaceJson[]; error?: string } }> {
	const response = await fetch(`${server.url}/api/places?q=${encodeURIComponent(q)}`);
	return { status: response.status, body: (await response.json()) as { places?: PlaceJson[]; error?: string } };
}

/** The map's meta.view as a stock y-websocket client sees it. */
async function startingView(link: { id: string; keys: { editor: string } }): Promise<unknown> {
	const client = connectClient(server.syncUrl, link.id, link.keys.editor);
	try {
		await withDeadline(client.synced, 'sync');
		return client.doc.getMap('meta').get('view') ?? null;
	} finally {
		client.destroy();
	}
}

beforeAll(async () => {
	upstream = createServer((req, res) => {
		asked.push({ url: req.url ?? '', headers: req.headers });
		if (upstreamFails) return void res.writeHead(503).end();
		res.writeHead(200, { 'Content-Type': 'application/json' }).end(
			JSON.stringify([
				{ name: 'Kensington Market', display_name: 'Kensington Market, Toronto, Ontario, Canada', lat: '43.6547', lon: '-79.4005', boundingbox: ['43.651', '43.658', '-79.405', '-79.397'], address: { country_code: 'ca', state: 'Ontario' } },
				{ name: 'Nowhere', lat: 'x', lon: '500' }
			])
		);
	});
	await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
	const port = (upstream.address() as AddressInfo).port;
	server = await startTestServer({ GEOCODER_UPSTREAM: `http://127.0.0.1:${port}/search?countrycodes=ca` });
});

afterAll(async () => {
	await server?.dispose();
	await new Promise((resolve) => upstream?.close(resolve));
});

describe('GET /api/places', () => {
	it('finds places by name, the most populous first, accents optional', async () => {
		const springfield = await places('springfield');
		expect(springfield.status).toBe(200);
		const found = springfield.body.places!;
		expect(found.length).toBeGreaterThan(5);
		expect(found.length).toBeLessThanOrEqual(10);
		expect(found.slice(0, 3).map((place) => place.admin)).toEqual(['MO', 'MA', 'IL']);
		expect(found[0]).toMatchObject({ name: 'Springfield', country: 'US', source: 'gazetteer' });
		for (let i = 1; i < found.length; i++) expect(found[i].population).toBeLessThanOrEqual(found[i - 1].population);

		const [first] = (await places('Sao Paulo')).body.places!;
		expect(first).toMatchObject({ name: 'São Paulo', country: 'BR' });
		expect(first.lon).toBeCloseTo(-46.64, 1);
		expect(first.lat).toBeCloseTo(-23.55, 1);
	});

	it('refuses text too short or too long with a clear 400', async () => {
		for (const q of ['', ' a ', 'x'.repeat(81)]) {
			const { status, body } = await places(q);
			expect(status).toBe(400);
			expect(body.error).toMatch(/q must be/);
		}
		const missing = await fetch(`${server.url}/api/places`);
		expect(missing.status).toBe(400);
		const post = await fetch(`${server.url}/api/places?q=paris`, { method: 'POST' });
		expect(post.status).toBe(405);
	});

	it('adds the upstream geocoder’s answers after its own, asked with the text only and a clear User-Agent', async () => {
		asked.length = 0;
		const { status, body } = await places('Kensington');
		expect(status).toBe(200);
		const sources = body.places!.map((place) => place.source);
		expect(sources.indexOf('upstream')).toBeGreaterThan(0);
		expect(sources.slice(sources.indexOf('upstream')).every((source) => source === 'upstream')).toBe(true);
		const market = body.places!.find((place) => place.name === 'Kensington Market')!;
		expect(market).toMatchObject({ country: 'CA', admin: 'Ontario', source: 'upstream' });
		expect(body.places!.some((place) => place.name === 'Nowhere')).toBe(false);
		expect(asked).toHaveLength(1);
		const url = new URL(asked[0].url, 'http://upstream');
		expect(url.pathname).toBe('/search');
		expect(url.searchParams.get('q')).toBe('Kensington');
		expect(url.searchParams.get('countrycodes')).toBe('ca');
		expect(asked[0].headers['user-agent']).toMatch(/^AssetAtlas\/0\.1/);
	});

	it('answers from the gazetteer alone when the upstream fails', async () => {
		upstreamFails = true;
		const { status, body } = await places('Toronto');
		upstreamFails = false;
		expect(status).toBe(200);
		expect(body.places![0]).toMatchObject({ name: 'Toronto', country: 'CA', source: 'gazetteer' });
		expect(body.places!.every((place) => place.source === 'gazetteer')).toBe(true);
	});
});

describe('a new map with a Place', () => {
	it('starts everyone at the place the gazetteer knows by that name', async () => {
		const map = await createMap(server.url, { title: 'Workshop', place: 'São Paulo' });
		const view = (await startingView(map)) as { center: [number, number]; zoom: number };
		expect(view.center[0]).toBeCloseTo(-46.64, 1);
		expect(view.center[1]).toBeCloseTo(-23.55, 1);
		expect(view.zoom).toBeGreaterThanOrEqual(8);
	});

	it('uses the view of a place picked from the suggestions over the name', async () => {
		const map = await createMap(server.url, { title: 'Workshop', place: 'Springfield', view: { center: [-72.59, 42.1], zoom: 12 } });
		expect(await startingView(map)).toEqual({ center: [-72.59, 42.1], zoom: 12 });
	});

	it('leaves the view unset for a place it does not know', async () => {
		const map = await createMap(server.url, { title: 'Workshop', place: 'Our corner of the river' });
		expect(await startingView(map)).toBeNull();
	});

	it('refuses a view that is not a place on Earth, and creates nothing', async () => {
		for (const view of [{ center: [200, 0], zoom: 3 }, { center: [0, 0], zoom: 99 }, { center: 'here', zoom: 3 }, 'São Paulo']) {
			const response = await fetch(`${server.url}/api/maps`, {
				method: 'POST',
				headers: { 'Content-Type': 'application/json' },
				body: JSON.stringify({ title: 'Workshop', place: 'Springfield', view })
			});
			expect(response.status).toBe(400);
			expect(((await response.json()) as { error: string }).error).toMatch(/view must be/);
		}
	});
});

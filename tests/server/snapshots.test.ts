/**
 * Citable snapshots against the real server process (a real SQLite file, port 0) with stock
 * y-websocket clients: who may take one, that it never changes after it is taken, that it
 * holds only the public map, its downloads, annotations, and that it survives a restart.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAsset, setAssetHidden, setCreditNames, updateAsset } from '../../src/lib/doc/mutations.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { readAllAssets, readMeta } from '../../src/lib/doc/schema.ts';
import { pdfText } from '../helpers/pdftotext.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { startInProcess } from '../helpers/in-process.ts';
import { solidPng } from '../helpers/png.ts';
import { createMemoryStore } from '../../server/persistence/memory.ts';
import { MAX_SNAPSHOTS_PER_MAP } from '../../server/persistence/doc-store.ts';
import { connectClient, createMap, waitForDoc, type Client, type CreatedMap } from '../helpers/sync-clients.ts';

let server: TestServer;
let map: CreatedMap;
let editor: Client;
let facilitator: Client;
let watcher: Client;
let gardenId = '';

const maria: Contributor = { id: 'mariaXXXXXXXXXXX', name: 'Maria Lopez', affiliation: 'community-member' };
const prof: Contributor = { id: 'profXXXXXXXXXXXX', name: 'Dr. Hidden Name', affiliation: 'faculty' };
const SECRET_ASSET = 'Jane private porch';

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

interface Created {
	id: string;
	url: string;
	sha256: string;
	citation: { apa: string; plain: string };
	annotationKey: string;
}

function take(key: string | null, body?: unknown, mapId = map.id): Promise<Response> {
	const headers: Record<string, string> = {};
	if (key !== null) headers.Authorization = `Bearer ${key}`;
	if (body !== undefined) headers['Content-Type'] = 'application/json';
	return fetch(`${server.url}/api/maps/${mapId}/snapshots`, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

async function taken(key: string, body?: unknown): Promise<Created> {
	const response = await take(key, body);
	expect(response.status).toBe(201);
	return (await response.json()) as Created;
}

async function download(id: string, format: string): Promise<{ response: Response; bytes: Uint8Array }> {
	const response = await fetch(`${server.url}/s/${id}/export.${format}`);
	return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

function annotate(id: string, key: string | null, body: unknown): Promise<Response> {
	return fetch(`${server.url}/api/snapshots/${id}/annotations`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', ...(key ? { Authorization: `Bearer ${key}` } : {}) },
		body: JSON.stringify(body)
	});
}

/** Resolves once the watcher (a third client) has every asset named, i.e. the server accepted and stored them. */
const seen = (names: string[], hidden: string[] = []) =>
	waitForDoc(watcher.doc, (doc) => {
		const assets = readAllAssets(doc);
		return names.every((name) => assets.some((a) => a.name === name)) && hidden.every((name) => assets.some((a) => a.name === name && a.hidden));
	}, `assets ${names.join(', ')}`);

beforeAll(async () => {
	server = await startTestServer();
	map = await createMap(server.url, { title: 'Eastside strengths', place: 'Springfield' });
	editor = connectClient(server.syncUrl, map.id, map.keys.editor, undefined, { params: { name: 'Maria', affiliation: 'community-member' } });
	facilitator = connectClient(server.syncUrl, map.id, map.keys.facilitator);
	watcher = connectClient(server.syncUrl, map.id, map.keys.viewer);
	await Promise.all([editor.synced, facilitator.synced, watcher.synced]);
	gardenId = addAsset(editor.doc, { name: 'Community garden', category: 'places', description: '', tags: [], holder: 'Eastside Growers', geometry: { type: 'Point', coordinates: [-89.65, 39.8] } }, maria);
	addAsset(editor.doc, { name: 'Food pantry', category: 'organizations', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-89.648, 39.803] } }, prof);
	const goalId = addGoal(editor.doc, { title: 'Fresh food nearby' }, maria);
	linkAssetsToGoal(editor.doc, [gardenId], goalId, undefined, maria);
	await seen(['Community garden', 'Food pantry']);
	await waitForDoc(facilitator.doc, (doc) => readAllAssets(doc).length === 2, 'facilitator sees the assets');
	const secret = addAsset(facilitator.doc, { name: SECRET_ASSET, category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-89.6, 39.7] } }, prof);
	setAssetHidden(facilitator.doc, secret, true, prof);
	await seen([SECRET_ASSET], [SECRET_ASSET]);
}, 60_000);

afterAll(async () => {
	for (const client of [editor, facilitator, watcher]) client?.destroy();
	await server?.dispose();
});

describe('taking a snapshot', () => {
	it('answers 201 with its address, hash, citation and annotation key, for an editor and for a facilitator', async () => {
		const byEditor = await taken(map.keys.editor, { takenBy: { name: '  Ana\u202e Ruiz ', affiliation: 'faculty' } });
		expect(byEditor.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
		expect(byEditor.url).toMatch(new RegExp(`^http://[^/]+/s/${byEditor.id}$`));
		expect(byEditor.sha256).toMatch(/^[0-9a-f]{64}$/);
		expect(Buffer.from(byEditor.annotationKey, 'base64url').length).toBeGreaterThanOrEqual(16);
		const date = new Date();
		expect(byEditor.citation.apa).toBe(
			`Community and campus partners. (${date.getUTCFullYear()}, ${date.toLocaleString('en', { month: 'long', timeZone: 'UTC' })} ${date.getUTCDate()}). Eastside strengths [Community asset map snapshot]. Asset Atlas. ${byEditor.url} (SHA-256: ${byEditor.sha256.slice(0, 12)})`
		);
		expect(byEditor.citation.plain).toContain(`${byEditor.url} (SHA-256: ${byEditor.sha256.slice(0, 12)})`);
		const page = (await (await fetch(`${server.url}/api/snapshots/${byEditor.id}`)).json()) as { takenBy: unknown };
		expect(page.takenBy).toEqual({ name: 'Ana Ruiz', affiliation: 'faculty' });

		const byFacilitator = await taken(map.keys.facilitator);
		expect(byFacilitator.id).not.toBe(byEditor.id);
		// Nothing changed in between: the same content, the same bytes but for the time taken.
		expect(byFacilitator.annotationKey).not.toBe(byEditor.annotationKey);
	});

	it('refuses a viewer (403), a wrong or missing key (401), an unknown map (404) and a bad body (400)', async () => {
		expect((await take(map.keys.viewer)).status).toBe(403);
		expect((await take('not-a-key')).status).toBe(401);
		expect((await take(null)).status).toBe(401);
		expect((await take(map.keys.editor, {}, 'zzzzzzzzzz')).status).toBe(404);
		expect((await take(map.keys.editor, { takenBy: { name: 42 } })).status).toBe(400);
		expect((await take(map.keys.editor, { takenBy: { name: 'Ana', affiliation: 'dean' } })).status).toBe(400);
		expect((await take(map.keys.editor, { takenBy: 'Ana' })).status).toBe(400);
	});

	it('lists a map\'s snapshots newest first for any role\'s key, with counts', async () => {
		const response = await fetch(`${server.url}/api/maps/${map.id}/snapshots`, { headers: { Authorization: `Bearer ${map.keys.viewer}` } });
		expect(response.status).toBe(200);
		const { snapshots } = (await response.json()) as { snapshots: Array<{ id: string; url: string; takenAt: number; takenBy: unknown; sha256: string; counts: Record<string, unknown> }> };
		expect(snapshots.length).toBeGreaterThanOrEqual(2);
		for (let i = 1; i < snapshots.length; i++) expect(snapshots[i - 1].takenAt).toBeGreaterThanOrEqual(snapshots[i].takenAt);
		expect(snapshots[0].counts).toEqual({ assets: 2, categories: { places: 1, organizations: 1 }, goals: 1, links: 1, contributors: { 'community-member': 1, faculty: 1 } });
		expect(Object.keys(snapshots[0]).sort()).toEqual(['counts', 'id', 'sha256', 'takenAt', 'takenBy', 'url']);
		expect((await fetch(`${server.url}/api/maps/${map.id}/snapshots`)).status).toBe(401);
	});
});

describe('a snapshot', () => {
	it('never changes after it is taken, and its download is exactly what the citation hashes', async () => {
		const snap = await taken(map.keys.editor);
		const before = await download(snap.id, 'geojson');
		expect(before.response.status).toBe(200);
		expect(before.response.headers.get('content-type')).toBe('application/geo+json');
		expect(before.response.headers.get('content-disposition')).toMatch(/^attachment; filename="eastside-strengths-snapshot-\d{4}-\d{2}-\d{2}\.geojson"$/);
		expect(before.response.headers.get('etag')).toBe(`"${snap.sha256}"`);
		expect(sha256(before.bytes)).toBe(snap.sha256);
		expect(snap.citation.apa).toContain(sha256(before.bytes).slice(0, 12));

		updateAsset(editor.doc, gardenId, { name: 'Renamed garden' }, maria);
		addAsset(editor.doc, { name: 'Later library', category: 'institutions', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-89.64, 39.81] } }, maria);
		await seen(['Renamed garden', 'Later library']);

		const after = await download(snap.id, 'geojson');
		expect(Buffer.from(after.bytes).equals(Buffer.from(before.bytes))).toBe(true);
		const page = (await (await fetch(`${server.url}/api/snapshots/${snap.id}`)).json()) as { sha256: string; citation: { apa: string } };
		expect(page.sha256).toBe(snap.sha256);
		expect(page.citation.apa).toBe(snap.citation.apa);
		const text = new TextDecoder().decode(after.bytes);
		expect(text).toContain('Community garden');
		expect(text).not.toContain('Later library');

		// A snapshot taken now, while the room is open, has everything accepted so far.
		const later = await taken(map.keys.editor);
		expect(later.sha256).not.toBe(snap.sha256);
		const laterText = new TextDecoder().decode((await download(later.id, 'geojson')).bytes);
		expect(laterText).toContain('Renamed garden');
		expect(laterText).toContain('Later library');
		// Conditional requests: an unchanged download is not sent again.
		const again = await fetch(`${server.url}/s/${snap.id}/export.geojson`, { headers: { 'If-None-Match': `"${snap.sha256}"` } });
		expect(again.status).toBe(304);
	});

	it('holds no hidden asset and no contributor name, in any of its forms', async () => {
		const snap = await taken(map.keys.facilitator);
		const forms = [
			new TextDecoder().decode((await download(snap.id, 'geojson')).bytes),
			new TextDecoder().decode((await download(snap.id, 'csv')).bytes),
			new TextDecoder().decode((await download(snap.id, 'kml')).bytes),
			await (await fetch(`${server.url}/api/snapshots/${snap.id}`)).text(),
			await (await fetch(`${server.url}/api/maps/${map.id}/snapshots`, { headers: { Authorization: `Bearer ${map.keys.editor}` } })).text()
		];
		for (const form of forms) {
			expect(form).not.toContain(SECRET_ASSET);
			expect(form).not.toContain('Maria Lopez');
			expect(form).not.toContain('Dr. Hidden Name');
		}
		expect(forms[0]).toContain('Food pantry');
	});

	it('downloads as CSV and KML made from its stored state, the same bytes every time', async () => {
		const snap = await taken(map.keys.editor);
		const csv = await download(snap.id, 'csv');
		expect(csv.response.status).toBe(200);
		expect(csv.response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
		expect(csv.response.headers.get('content-disposition')).toMatch(/^attachment; filename="eastside-strengths-snapshot-[\d-]+\.csv"$/);
		expect(new TextDecoder().decode(csv.bytes)).toContain('Renamed garden');
		const kml = await download(snap.id, 'kml');
		expect(kml.response.status).toBe(200);
		expect(kml.response.headers.get('content-type')).toMatch(/^application\/vnd\.google-earth\.kml\+xml/);
		expect(new TextDecoder().decode(kml.bytes)).toContain('<kml');
		updateAsset(editor.doc, gardenId, { name: 'Garden, renamed again' }, maria);
		await seen(['Garden, renamed again']);
		expect(Buffer.from((await download(snap.id, 'csv')).bytes).equals(Buffer.from(csv.bytes))).toBe(true);
		expect(Buffer.from((await download(snap.id, 'kml')).bytes).equals(Buffer.from(kml.bytes))).toBe(true);
	});

	it('answers 404 for an unknown snapshot, a malformed id, or a format it does not offer', async () => {
		const snap = await taken(map.keys.editor);
		for (const path of [
			`/s/${'A'.repeat(22)}/export.geojson`,
			'/s/short/export.geojson',
			`/s/${'A'.repeat(200)}/export.csv`,
			`/s/${snap.id}/export.exe`,
			// Not a format, though every object has one.
			`/s/${snap.id}/export.constructor`,
			// No picture was filed for it.
			`/s/${snap.id}/export.png`,
			`/api/snapshots/${'A'.repeat(22)}`,
			'/api/snapshots/bad..id'
		]) {
			expect((await fetch(`${server.url}${path}`)).status, path).toBe(404);
		}
	});
});

describe('annotations', () => {
	it('are added with the annotation key or the facilitator key, never an editor key, and never change the hash', async () => {
		const snap = await taken(map.keys.editor);
		const bytes = (await download(snap.id, 'geojson')).bytes;
		const first = await annotate(snap.id, snap.annotationKey, { text: 'We learned who keeps the <b>garden</b> going.', competencies: ['knowledge-of-community', 'connecting-assets'] });
		expect(first.status).toBe(201);
		const second = await annotate(snap.id, map.keys.facilitator, { text: 'Reviewed.', competencies: [] });
		expect(second.status).toBe(201);
		expect((await annotate(snap.id, map.keys.editor, { text: 'no', competencies: [] })).status).toBe(401);
		expect((await annotate(snap.id, null, { text: 'no', competencies: [] })).status).toBe(401);
		expect((await annotate(snap.id, snap.annotationKey, { text: 'x', competencies: ['needs-assessment'] })).status).toBe(400);
		expect((await annotate(snap.id, snap.annotationKey, { text: 'x'.repeat(4001), competencies: [] })).status).toBe(400);
		expect((await annotate(snap.id, snap.annotationKey, { text: '   ', competencies: [] })).status).toBe(400);
		expect((await annotate(snap.id, snap.annotationKey, { competencies: [] })).status).toBe(400);
		// Half a surrogate pair would make the snapshot's JSON unreadable to strict parsers.
		const broken = await annotate(snap.id, map.keys.facilitator, { text: 'Eve \ud800 was here', competencies: [] });
		expect(broken.status).toBe(201);
		expect(((await broken.json()) as { annotation: { text: string } }).annotation.text).toBe('Eve \ufffd was here');
		const other = await taken(map.keys.editor);
		// One snapshot's key does not open another.
		expect((await annotate(other.id, snap.annotationKey, { text: 'no', competencies: [] })).status).toBe(401);

		const page = (await (await fetch(`${server.url}/api/snapshots/${snap.id}`)).json()) as { sha256: string; annotations: Array<{ text: string; competencies: string[]; by: string }> };
		expect(page.sha256).toBe(snap.sha256);
		expect(page.annotations.map(({ text, competencies, by }) => ({ text, competencies, by }))).toEqual([
			{ text: 'We learned who keeps the <b>garden</b> going.', competencies: ['knowledge-of-community', 'connecting-assets'], by: 'annotator' },
			{ text: 'Reviewed.', competencies: [], by: 'facilitator' },
			{ text: 'Eve \ufffd was here', competencies: [], by: 'facilitator' }
		]);
		expect(Buffer.from((await download(snap.id, 'geojson')).bytes).equals(Buffer.from(bytes))).toBe(true);
	});
});

function filePicture(id: string, key: string | null, body: Uint8Array | string, type = 'image/png'): Promise<Response> {
	return fetch(`${server.url}/api/snapshots/${id}/png`, {
		method: 'PUT',
		headers: { 'Content-Type': type, ...(key ? { Authorization: `Bearer ${key}` } : {}) },
		body: typeof body === 'string' ? body : Buffer.from(body)
	});
}

describe('a snapshot\'s picture', () => {
	it('is filed once by the annotation key, served as it was filed with its own hash, and never replaced', async () => {
		const snap = await taken(map.keys.editor);
		const png = solidPng(64, 40);
		expect((await filePicture(snap.id, map.keys.editor, png)).status).toBe(401);
		expect((await filePicture(snap.id, null, png)).status).toBe(401);
		expect((await filePicture(snap.id, snap.annotationKey, png, 'image/jpeg')).status).toBe(415);
		expect((await filePicture(snap.id, snap.annotationKey, 'GIF89a not a png at all, honest')).status).toBe(400);
		expect((await filePicture(snap.id, snap.annotationKey, png.slice(0, png.byteLength - 12))).status).toBe(400);
		expect((await filePicture(snap.id, snap.annotationKey, new TextEncoder().encode('<svg onload=alert(1)>'))).status).toBe(400);
		expect((await download(snap.id, 'png')).response.status).toBe(404);

		const filed = await filePicture(snap.id, snap.annotationKey, png);
		expect(filed.status).toBe(201);
		expect(await filed.json()).toEqual({ pngSha256: sha256(png), width: 64, height: 40 });
		const again = await filePicture(snap.id, map.keys.facilitator, solidPng(64, 40, [200, 0, 0]));
		expect(again.status).toBe(409);

		const { response, bytes } = await download(snap.id, 'png');
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('image/png');
		expect(response.headers.get('etag')).toBe(`"${sha256(png)}"`);
		expect(Buffer.from(bytes).equals(Buffer.from(png))).toBe(true);
		const page = (await (await fetch(`${server.url}/api/snapshots/${snap.id}`)).json()) as { sha256: string; pngSha256: string };
		expect(page).toMatchObject({ sha256: snap.sha256, pngSha256: sha256(png) });
	});

	it('may be filed by the map\'s facilitator, and a picture larger than a side allows is refused', async () => {
		const snap = await taken(map.keys.editor);
		expect((await filePicture(snap.id, map.keys.facilitator, solidPng(9000, 1))).status).toBe(400);
		// Small files that would decode huge, or deep, in every PDF report.
		expect((await filePicture(snap.id, map.keys.facilitator, solidPng(8000, 2100))).status).toBe(400);
		expect((await filePicture(snap.id, map.keys.facilitator, solidPng(30, 20, [1, 2, 3], 16))).status).toBe(400);
		expect((await filePicture(snap.id, map.keys.facilitator, solidPng(30, 20))).status).toBe(201);
		expect((await filePicture('A'.repeat(22), map.keys.facilitator, solidPng(30, 20))).status).toBe(404);
	});
});

describe('naming contributors', () => {
	it('happens only once the facilitator opts the map in, and only for snapshots taken after', async () => {
		const before = await taken(map.keys.editor);
		setCreditNames(facilitator.doc, true);
		await waitForDoc(watcher.doc, (doc) => readMeta(doc).creditNames, 'the map is opted in');
		try {
			const after = await taken(map.keys.editor);
			const page = (await (await fetch(`${server.url}/api/snapshots/${after.id}`)).json()) as { meta: { contributorNames?: Record<string, string[]> } };
			expect(page.meta.contributorNames).toEqual({ 'community-member': ['Maria Lopez'], faculty: ['Dr. Hidden Name'] });
			// Still counted only, and the hidden asset still left out.
			const geojson = new TextDecoder().decode((await download(after.id, 'geojson')).bytes);
			expect(geojson).not.toContain('Maria Lopez');
			expect(geojson).not.toContain(SECRET_ASSET);
			const text = pdfText((await download(after.id, 'pdf')).bytes);
			if (text !== null) expect(text).toContain('Maria Lopez');

			const earlier = await (await fetch(`${server.url}/api/snapshots/${before.id}`)).text();
			expect(earlier).not.toContain('Maria Lopez');
			const earlierPdf = pdfText((await download(before.id, 'pdf')).bytes);
			if (earlierPdf !== null) expect(earlierPdf).not.toContain('Maria Lopez');
		} finally {
			setCreditNames(facilitator.doc, false);
			await waitForDoc(watcher.doc, (doc) => !readMeta(doc).creditNames, 'the map is opted out again');
		}
	});

	it('is a facilitator’s choice: an editor cannot opt the map in', async () => {
		const other = connectClient(server.syncUrl, map.id, map.keys.editor);
		try {
			await other.synced;
			const closed = new Promise<number>((resolve) => other.provider.on('connection-close', (event) => resolve(event?.code ?? 0)));
			setCreditNames(other.doc, true);
			// The server refuses the meta write and closes that socket with a rule code; the map stays opted out.
			expect(await closed).toBeGreaterThanOrEqual(4000);
			const snap = await taken(map.keys.editor);
			expect(await (await fetch(`${server.url}/api/snapshots/${snap.id}`)).text()).not.toContain('Maria Lopez');
		} finally {
			other.destroy();
		}
	});
});

describe('after a restart', () => {
	it('every snapshot is still there, byte for byte, and a map whose room is closed can still be frozen', async () => {
		const snap = await taken(map.keys.editor);
		expect((await annotate(snap.id, snap.annotationKey, { text: 'Before the restart.', competencies: ['reflection-assessment'] })).status).toBe(201);
		const before = (await download(snap.id, 'geojson')).bytes;
		const csvBefore = (await download(snap.id, 'csv')).bytes;
		for (const client of [editor, facilitator, watcher]) client.provider.disconnect();
		await server.restart();

		const after = await download(snap.id, 'geojson');
		expect(after.response.status).toBe(200);
		expect(Buffer.from(after.bytes).equals(Buffer.from(before))).toBe(true);
		expect(sha256(after.bytes)).toBe(snap.sha256);
		expect(Buffer.from((await download(snap.id, 'csv')).bytes).equals(Buffer.from(csvBefore))).toBe(true);
		const page = (await (await fetch(`${server.url}/api/snapshots/${snap.id}`)).json()) as { annotations: Array<{ text: string }> };
		expect(page.annotations.map((a) => a.text)).toEqual(['Before the restart.']);

		// No room is open now: the snapshot comes from the store, with everything accepted before.
		const fresh = await taken(map.keys.editor);
		const text = new TextDecoder().decode((await download(fresh.id, 'geojson')).bytes);
		expect(text).toContain('Garden, renamed again');
		expect(text).toContain('Later library');
		expect(text).not.toContain(SECRET_ASSET);
	});
});

describe('in process (memory store)', () => {
	it('answers a malformed snapshot address 404 without asking the store', async () => {
		const store = createMemoryStore();
		let lookups = 0;
		const counting = { ...store, getSnapshot: (id: string) => (lookups++, store.getSnapshot(id)) };
		const local = await startInProcess({}, { store: counting });
		try {
			for (const path of ['/s/short/export.geojson', `/s/${'A'.repeat(23)}/export.csv`, '/s/../export.kml', `/s/${'A'.repeat(21)}!/export.geojson`, '/api/snapshots/nope', `/s/${'A'.repeat(22)}/export.docx`]) {
				expect((await fetch(`${local.url}${path}`)).status, path).toBe(404);
			}
			expect(lookups).toBe(0);
			expect((await fetch(`${local.url}/s/${'A'.repeat(22)}/export.geojson`)).status).toBe(404);
			expect(lookups).toBe(1);
		} finally {
			await local.close();
		}
	});

	it('counts snapshots toward MAX_STORED_BYTES and keeps at most 200 per map (409)', async () => {
		const store = createMemoryStore();
		const local = await startInProcess({}, { store });
		try {
			const created = await createMap(local.url);
			const post = () => fetch(`${local.url}/api/maps/${created.id}/snapshots`, { method: 'POST', headers: { Authorization: `Bearer ${created.keys.editor}` } });
			const before = store.storedBytes();
			expect((await post()).status).toBe(201);
			expect(store.storedBytes()).toBeGreaterThan(before);
			for (let i = 1; i < MAX_SNAPSHOTS_PER_MAP; i++) expect((await post()).status).toBe(201);
			const over = await post();
			expect(over.status).toBe(409);
			expect(((await over.json()) as { error: string }).error).toMatch(/200 snapshots/);
		} finally {
			await local.close();
		}
	}, 60_000);

	it('refuses a new snapshot (507) once the server is full', async () => {
		const store = createMemoryStore();
		const roomy = await startInProcess({}, { store });
		const created = await createMap(roomy.url);
		await roomy.close();
		const full = await startInProcess({ maxStoredBytes: store.storedBytes() }, { store });
		try {
			const response = await fetch(`${full.url}/api/maps/${created.id}/snapshots`, { method: 'POST', headers: { Authorization: `Bearer ${created.keys.editor}` } });
			expect(response.status).toBe(507);
		} finally {
			await full.close();
		}
	});
});

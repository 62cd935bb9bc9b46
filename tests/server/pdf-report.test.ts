/**
 * The PDF report of a snapshot (GET /s/<id>/export.pdf) against the real server process:
 * its headers, that it holds every asset, goal, annotation, competency, the citation and
 * the full hash as real text (read back with pdftotext from poppler-utils), that hostile
 * text is printed as text, and that it never changes with the live map.
 *
 * Without pdftotext the text checks are skipped with one loud line, and fail under CI=true.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAsset, updateAsset } from '../../src/lib/doc/mutations.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import { connectAssets, linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { readAllAssets } from '../../src/lib/doc/schema.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, waitForDoc, type Client, type CreatedMap } from '../helpers/sync-clients.ts';
import { pdfText as textOf, squash } from '../helpers/pdftotext.ts';

const maria: Contributor = { id: 'mariaXXXXXXXXXXX', name: 'Maria Lopez', affiliation: 'community-member' };
const prof: Contributor = { id: 'profXXXXXXXXXXXX', name: 'Dr. Hidden Name', affiliation: 'faculty' };

const NAMES = ['Café Ñandú', 'Библиотека на Садовой', 'Hội Phụ nữ phường 5', 'Βιβλιοθήκη Αγίου Νικολάου', '<script>alert(1)</script> garden', "=cmd|' /C calc'!A0"];
const HOLDER = '=HYPERLINK("http://evil.example")';
const GOALS = ['Fresh food within a short walk', 'Young people lead a summer program'];
const NOTE = 'We learned who keeps the <b>garden</b> going, and that the pantry shares volunteers.';

let server: TestServer;
let map: CreatedMap;
let editor: Client;
let watcher: Client;
let firstId = '';

interface Created {
	id: string;
	url: string;
	sha256: string;
	citation: { apa: string; plain: string };
	annotationKey: string;
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function pdf(id: string, init?: RequestInit): Promise<{ response: Response; bytes: Uint8Array }> {
	const response = await fetch(`${server.url}/s/${id}/export.pdf`, init);
	return { response, bytes: new Uint8Array(await response.arrayBuffer()) };
}

async function snapshot(): Promise<Created> {
	const response = await fetch(`${server.url}/api/maps/${map.id}/snapshots`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${map.keys.editor}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ takenBy: { name: 'Ana Ruiz', affiliation: 'faculty' } })
	});
	expect(response.status).toBe(201);
	return (await response.json()) as Created;
}

function annotate(id: string, key: string, text: string, competencies: string[]): Promise<Response> {
	return fetch(`${server.url}/api/snapshots/${id}/annotations`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
		body: JSON.stringify({ text, competencies })
	});
}

const seen = (names: string[]) =>
	waitForDoc(watcher.doc, (doc) => {
		const assets = readAllAssets(doc);
		return names.every((name) => assets.some((a) => a.name === name));
	}, `assets ${names.join(', ')}`);

let snap: Created;

beforeAll(async () => {
	server = await startTestServer();
	map = await createMap(server.url, { title: 'Eastside strengths', place: 'Springfield' });
	editor = connectClient(server.syncUrl, map.id, map.keys.editor);
	watcher = connectClient(server.syncUrl, map.id, map.keys.viewer);
	await Promise.all([editor.synced, watcher.synced]);
	const ids = NAMES.map((name, i) =>
		addAsset(
			editor.doc,
			{
				name,
				category: (['places', 'knowledge', 'organizations', 'institutions', 'culture', 'economy'] as const)[i],
				description: i === 4 ? '<img src=x onerror=alert(1)> Volunteers meet here on Saturdays.' : '',
				holder: i === 5 ? HOLDER : '',
				tags: i === 0 ? ['food', 'outdoors'] : [],
				geometry: { type: 'Point', coordinates: [-89.65 + i * 0.001, 39.8 + i * 0.0007] }
			},
			i % 2 === 0 ? maria : prof
		)
	);
	firstId = ids[0];
	const area = addAsset(editor.doc, { name: 'Riverside meadow', category: 'places', description: '', holder: '', tags: [], geometry: { type: 'Polygon', coordinates: [[[-89.655, 39.795], [-89.652, 39.795], [-89.652, 39.797], [-89.655, 39.795]]] } }, maria);
	const goals = GOALS.map((title, i) => addGoal(editor.doc, { title, horizon: i === 0 ? 'long' : 'short', status: 'active' }, maria));
	linkAssetsToGoal(editor.doc, [ids[0], ids[1], area], goals[0], undefined, maria);
	linkAssetsToGoal(editor.doc, [ids[2]], goals[1], undefined, prof);
	connectAssets(editor.doc, ids[0], ids[3], 'Shares a kitchen on weekends', maria);
	await seen([...NAMES, 'Riverside meadow']);
	snap = await snapshot();
	expect((await annotate(snap.id, snap.annotationKey, NOTE, ['knowledge-of-community', 'connecting-assets'])).status).toBe(201);
	expect((await annotate(snap.id, map.keys.facilitator, 'Reviewed with the partners.', ['power-relations'])).status).toBe(201);
}, 60_000);

afterAll(async () => {
	for (const client of [editor, watcher]) client?.destroy();
	await server?.dispose();
});

describe('GET /s/<id>/export.pdf', () => {
	it('answers a PDF download with the headers of the other downloads, its ETag the SHA-256 of its bytes', async () => {
		const { response, bytes } = await pdf(snap.id);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('application/pdf');
		expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="eastside-strengths-snapshot-\d{4}-\d{2}-\d{2}\.pdf"$/);
		expect(response.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
		expect(response.headers.get('x-content-type-options')).toBe('nosniff');
		expect(Number(response.headers.get('content-length'))).toBe(bytes.byteLength);
		expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
		expect(Buffer.from(bytes.subarray(-6)).toString('latin1')).toMatch(/%%EOF\s*$/);

		const again = await fetch(`${server.url}/s/${snap.id}/export.pdf`, { headers: { 'If-None-Match': `"${sha256(bytes)}"` } });
		expect(again.status).toBe(304);
		const head = await fetch(`${server.url}/s/${snap.id}/export.pdf`, { method: 'HEAD' });
		expect(head.status).toBe(200);
		expect(head.headers.get('etag')).toBe(`"${sha256(bytes)}"`);
	});

	it('holds every asset, goal, link, annotation and competency, the citation and the full hash, as text', async (ctx) => {
		const { bytes } = await pdf(snap.id);
		const text = textOf(bytes);
		if (text === null) return ctx.skip();
		for (const name of [...NAMES, 'Riverside meadow']) expect(text, name).toContain(name);
		for (const title of GOALS) expect(text, title).toContain(title);
		expect(text).toContain(HOLDER);
		expect(text).toContain('<img src=x onerror=alert(1)>');
		expect(text).toContain('Shares a kitchen on weekends');
		expect(squash(text)).toContain(squash(NOTE));
		expect(text).toContain('Reviewed with the partners.');
		for (const label of ['Knowledge of community', 'Connecting assets', 'Power relations']) expect(text, label).toContain(label);
		expect(text).toContain('By the person who froze it');
		expect(text).toContain('By the facilitator');
		expect(squash(text)).toContain(squash(snap.citation.apa));
		expect(squash(text)).toContain(squash(snap.citation.plain));
		expect(text).toContain(snap.sha256);
		expect(text).toContain(`sha256sum eastside-strengths-snapshot-`);
		expect(text).toContain('Ana Ruiz (Faculty)');
		expect(text).toMatch(/Page 1 of \d+/);
		// Contributors are counted, never named.
		expect(text).not.toContain('Maria Lopez');
		expect(text).not.toContain('Dr. Hidden Name');
	});

	it('never changes with the live map: the same bytes after edits, and after a restart when it is made again', async (ctx) => {
		const before = await pdf(snap.id);
		updateAsset(editor.doc, firstId, { name: 'Renamed after the snapshot' }, maria);
		addAsset(editor.doc, { name: 'Added after the snapshot', category: 'skills', description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-89.64, 39.81] } }, maria);
		await seen(['Renamed after the snapshot', 'Added after the snapshot']);
		const after = await pdf(snap.id);
		expect(Buffer.from(after.bytes).equals(Buffer.from(before.bytes))).toBe(true);

		// A new process has no report in memory: it makes it again from the stored snapshot.
		for (const client of [editor, watcher]) client.provider.disconnect();
		await server.restart();
		const remade = await pdf(snap.id);
		expect(remade.response.status).toBe(200);
		expect(Buffer.from(remade.bytes).equals(Buffer.from(before.bytes))).toBe(true);
		const text = textOf(remade.bytes);
		if (text === null) return ctx.skip();
		expect(text).toContain('Café Ñandú');
		expect(text).not.toContain('Renamed after the snapshot');
		expect(text).not.toContain('Added after the snapshot');
	});

	it('shows an annotation added later, under a new ETag', async (ctx) => {
		const before = await pdf(snap.id);
		expect((await annotate(snap.id, snap.annotationKey, 'Added after the first download.', ['reflection-assessment'])).status).toBe(201);
		const after = await pdf(snap.id);
		expect(after.response.status).toBe(200);
		expect(after.response.headers.get('etag')).not.toBe(before.response.headers.get('etag'));
		expect(after.response.headers.get('cache-control')).toMatch(/no-cache/);
		const text = textOf(after.bytes);
		if (text === null) return ctx.skip();
		expect(text).toContain('Added after the first download.');
		expect(text).toContain('Reflection and assessment');
	});

	it('answers 404 for an unknown snapshot', async () => {
		expect((await pdf('A'.repeat(22))).response.status).toBe(404);
	});
});

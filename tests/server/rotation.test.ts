/**
 * Replacing the editor or viewer link (POST /api/maps/<id>/rotate) against the real
 * server: sockets on the old key are closed with 4401 at once, the old key and the old
 * join code stop working, the new ones work, and the other role is untouched.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import {
	connectClient,
	createMap,
	openSocket,
	waitForClose,
	waitForDoc,
	waitForOpen,
	withDeadline,
	type Client,
	type MapKeys
} from '../helpers/sync-clients.ts';
import { closeOrAnswer } from '../helpers/yjs-frames.ts';

let server: TestServer;
const clients: Client[] = [];

function client(mapId: string, key: string): Client {
	const c = connectClient(server.syncUrl, mapId, key);
	clients.push(c);
	return c;
}

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	for (const c of clients.splice(0)) c.destroy();
	await server?.dispose();
});

interface ShareInfo {
	links: MapKeys;
	join: { code: string; url: string };
}

const keyOf = (link: string) => link.split('#key=')[1];

async function links(mapId: string, key: string): Promise<ShareInfo> {
	const response = await fetch(`${server.url}/api/maps/${mapId}/links`, { headers: { Authorization: `Bearer ${key}` } });
	expect(response.status).toBe(200);
	return (await response.json()) as ShareInfo;
}

function rotate(mapId: string, key: string, body: unknown, origin: string | null = server.url): Promise<Response> {
	const headers: Record<string, string> = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
	if (origin) headers.Origin = origin;
	return fetch(`${server.url}/api/maps/${mapId}/rotate`, { method: 'POST', headers, body: JSON.stringify(body) });
}

/** The code a socket is closed with, failing if that takes longer than 5 s. */
function closedWithin5s(ws: WebSocket): Promise<number> {
	return withDeadline(new Promise<number>((resolve) => ws.once('close', (code) => resolve(code))), 'close after rotation', 5000);
}

function stockClosedWithin5s(c: Client): Promise<number> {
	return withDeadline(
		new Promise<number>((resolve) => c.provider.on('closed', (event: { code: number }) => resolve(event.code))),
		'stock client closed after rotation',
		5000
	);
}

async function joinRedirect(code: string): Promise<{ status: number; location: string | null }> {
	const response = await fetch(`${server.url}/j/${code}`, { redirect: 'manual' });
	await response.text();
	return { status: response.status, location: response.headers.get('location') };
}

describe('key rotation', () => {
	it('closes old-key sockets with 4401 within 5 s; the new key and join code work; the other role is untouched', async () => {
		const map = await createMap(server.url);
		const before = await links(map.id, map.keys.facilitator);
		expect(before.links).toEqual(map.links);
		expect(before.join.url).toBe(`${server.url}/j/${before.join.code}`);
		expect(await joinRedirect(before.join.code)).toEqual({ status: 302, location: `/m/${map.id}#key=${map.keys.editor}` });

		const facilitator = client(map.id, map.keys.facilitator);
		const oldEditor = client(map.id, map.keys.editor);
		const viewer = client(map.id, map.keys.viewer);
		const rawEditor = openSocket(server.syncUrl, map.id, map.keys.editor);
		const rawViewer = openSocket(server.syncUrl, map.id, map.keys.viewer);
		await Promise.all([facilitator.synced, oldEditor.synced, viewer.synced, waitForOpen(rawEditor), waitForOpen(rawViewer)]);

		const rawEditorClosed = closedWithin5s(rawEditor);
		const oldEditorClosed = stockClosedWithin5s(oldEditor);
		const response = await rotate(map.id, map.keys.facilitator, { role: 'editor' });
		expect(response.status).toBe(200);
		expect(response.headers.get('cache-control')).toBe('no-store');
		const after = (await response.json()) as ShareInfo;
		expect(await rawEditorClosed).toBe(4401);
		expect(await oldEditorClosed).toBe(4401);
		expect(oldEditor.provider.shouldConnect).toBe(false);

		// The facilitator gets the new editor link; the other links stay.
		const newEditorKey = keyOf(after.links.editor);
		expect(newEditorKey).not.toBe(map.keys.editor);
		expect(Buffer.from(newEditorKey, 'base64url').length).toBeGreaterThanOrEqual(16);
		expect(after.links.viewer).toBe(map.links.viewer);
		expect(after.links.facilitator).toBe(map.links.facilitator);
		expect(await links(map.id, map.keys.facilitator)).toEqual(after);

		// The old key is refused from now on, over WebSocket and HTTP.
		expect((await waitForClose(openSocket(server.syncUrl, map.id, map.keys.editor))).code).toBe(4401);
		const access = await fetch(`${server.url}/api/maps/${map.id}/access`, { headers: { Authorization: `Bearer ${map.keys.editor}` } });
		expect(access.status).toBe(401);
		await access.text();

		// The join code moved with the key.
		expect(after.join.code).not.toBe(before.join.code);
		expect((await joinRedirect(before.join.code)).status).toBe(404);
		expect(await joinRedirect(after.join.code)).toEqual({ status: 302, location: `/m/${map.id}#key=${newEditorKey}` });

		// Viewers were not touched: still connected, still receiving; the new editor key writes.
		expect(await closeOrAnswer(rawViewer)).toBe('open');
		expect(viewer.provider.wsconnected).toBe(true);
		const newEditor = client(map.id, newEditorKey);
		await newEditor.synced;
		newEditor.doc.getMap('assets').set('after-rotation', 1);
		await waitForDoc(viewer.doc, (d) => d.getMap('assets').get('after-rotation') === 1, 'viewer to see the new editor');

		// Replacing the viewer link closes viewers, and leaves the new editor alone.
		const rawViewerClosed = closedWithin5s(rawViewer);
		const viewerClosed = stockClosedWithin5s(viewer);
		const viewerRotation = await rotate(map.id, map.keys.facilitator, { role: 'viewer' });
		expect(viewerRotation.status).toBe(200);
		const third = (await viewerRotation.json()) as ShareInfo;
		expect(await rawViewerClosed).toBe(4401);
		expect(await viewerClosed).toBe(4401);
		expect(third.links.editor).toBe(after.links.editor);
		expect(third.join).toEqual(after.join);
		newEditor.doc.getMap('assets').set('still-editing', 1);
		await waitForDoc(facilitator.doc, (d) => d.getMap('assets').get('still-editing') === 1, 'editor after viewer rotation');
		expect(newEditor.provider.wsconnected).toBe(true);
		const newViewer = client(map.id, keyOf(third.links.viewer));
		await newViewer.synced;
		expect(newViewer.doc.getMap('assets').get('still-editing')).toBe(1);
	});

	it('only the facilitator, from an allowed origin, with a known role, may rotate', async () => {
		const map = await createMap(server.url);
		const cases: Array<[Promise<Response>, number]> = [
			[rotate(map.id, map.keys.editor, { role: 'editor' }), 403],
			[rotate(map.id, map.keys.viewer, { role: 'viewer' }), 403],
			[rotate(map.id, 'wrong', { role: 'editor' }), 401],
			[rotate(map.id, map.keys.facilitator, { role: 'editor' }, 'https://evil.example'), 403],
			[rotate(map.id, map.keys.facilitator, { role: 'owner' }), 400],
			[rotate(map.id, map.keys.facilitator, {}), 400],
			[rotate('zzzzzzzzzz', map.keys.facilitator, { role: 'editor' }), 404]
		];
		for (const [pending, status] of cases) {
			const response = await pending;
			expect(response.status).toBe(status);
			expect(response.headers.get('referrer-policy')).toBe('no-referrer');
			await response.text();
		}
		// Nothing was replaced.
		expect((await links(map.id, map.keys.facilitator)).links).toEqual(map.links);
	});
});

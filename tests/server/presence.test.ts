/**
 * Presence across reconnects, with stock y-websocket clients against the real server: a
 * tab that reconnects (dropped Wi-Fi, or a name change) is seen again at once, and only a
 * socket from the same tab (its `session` token) may take over its presence id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { createMap, pollUntil } from '../helpers/sync-clients.ts';

let server: TestServer;
const providers: WebsocketProvider[] = [];

function connect(mapId: string, params: Record<string, string>, doc = new Y.Doc()): WebsocketProvider {
	const provider = new WebsocketProvider(server.syncUrl, mapId, doc, {
		params,
		WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
		disableBc: true
	});
	providers.push(provider);
	return provider;
}

/** What `observer` currently shows for `clientId`: the server-stamped name, or null. */
function nameSeen(observer: WebsocketProvider, clientId: number): string | null {
	const state = observer.awareness.getStates().get(clientId) as { user?: { name?: string } } | undefined;
	return state?.user?.name ?? null;
}

beforeAll(async () => {
	server = await startTestServer();
});
afterAll(async () => {
	for (const provider of providers.splice(0)) provider.destroy();
	await server?.dispose();
});

describe('presence across reconnects', () => {
	it('a reconnecting tab is seen again at once, under its new name', async () => {
		const map = await createMap(server.url);
		const session = 'tab-session-aaaaaaaaaaaa';
		const ana = connect(map.id, { key: map.keys.editor, session, name: 'Ana', affiliation: 'student' });
		ana.awareness.setLocalStateField('user', { color: '#0b5cad' });
		const observer = connect(map.id, { key: map.keys.viewer, session: 'observer-session-bbbbbb' });
		const id = ana.awareness.clientID;
		await pollUntil(() => nameSeen(observer, id) === 'Ana', 'observer sees Ana');

		// A name change reconnects with new parameters; the old socket's close races the new one.
		ana.params = { key: map.keys.editor, session, name: 'Ana María', affiliation: 'student' };
		ana.disconnect();
		ana.connect();
		await pollUntil(() => nameSeen(observer, id) === 'Ana María', 'observer sees the new name', 5_000);

		// The observer's own socket drops and comes back: everyone is visible again without
		// waiting for their next heartbeat.
		observer.disconnect();
		expect(nameSeen(observer, id)).toBeNull();
		observer.connect();
		await pollUntil(() => nameSeen(observer, id) === 'Ana María', 'observer sees Ana after its own reconnect', 5_000);
	});

	it('a socket from another tab cannot take over someone’s presence id', async () => {
		const map = await createMap(server.url);
		const rosa = connect(map.id, { key: map.keys.editor, session: 'rosa-session-cccccccccc', name: 'Rosa', affiliation: 'other' });
		rosa.awareness.setLocalStateField('user', { color: '#0b5cad' });
		const observer = connect(map.id, { key: map.keys.viewer, session: 'observer-session-dddddd' });
		await pollUntil(() => nameSeen(observer, rosa.awareness.clientID) === 'Rosa', 'observer sees Rosa');

		// Same client id, different session: as if another tab forged Rosa's id.
		const forgedDoc = new Y.Doc();
		forgedDoc.clientID = rosa.awareness.clientID;
		const forger = connect(map.id, { key: map.keys.editor, session: 'forger-session-eeeeeeee', name: 'Mallory', affiliation: 'other' }, forgedDoc);
		forger.awareness.setLocalStateField('user', { color: '#b0156f' });
		const marker = connect(map.id, { key: map.keys.editor, session: 'marker-session-ffffffff', name: 'Marker', affiliation: 'other' });
		marker.awareness.setLocalStateField('user', { color: '#3f6212' });
		// The marker's state travels after the forger's on the same server, so once the
		// observer has it, the forger's attempt has been handled.
		await pollUntil(() => nameSeen(observer, marker.awareness.clientID) === 'Marker', 'observer sees the marker');
		forger.awareness.setLocalStateField('user', { color: '#b0156f', name: 'Mallory again' });
		marker.awareness.setLocalStateField('user', { color: '#3f6212', step: 2 });
		await pollUntil(
			() => (observer.awareness.getStates().get(marker.awareness.clientID) as { user?: { step?: number } })?.user?.step === 2,
			'observer sees the marker’s second state'
		);
		expect(nameSeen(observer, rosa.awareness.clientID)).toBe('Rosa');
	});
});

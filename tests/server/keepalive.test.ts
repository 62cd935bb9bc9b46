/**
 * Our keepalive frame (server/room/protocol.ts): echoed to its sender only, so a client
 * can tell a silent connection from a quiet room; anything more in the frame is malformed.
 */
import type WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInProcess, type InProcessServer } from '../helpers/in-process.ts';
import { createMap, openSocket, waitForClose, waitForOpen, withDeadline } from '../helpers/sync-clients.ts';

let app: InProcessServer;

beforeAll(async () => {
	app = await startInProcess();
});
afterAll(async () => {
	await app?.close();
});

function nextFrame(ws: WebSocket, matches: (data: Uint8Array) => boolean): Promise<Uint8Array> {
	return withDeadline(
		new Promise((resolve) => {
			const onMessage = (data: Buffer) => {
				const bytes = new Uint8Array(data);
				if (!matches(bytes)) return;
				ws.off('message', onMessage);
				resolve(bytes);
			};
			ws.on('message', onMessage);
		}),
		'a frame'
	);
}

describe('keepalive', () => {
	it('is echoed to the sender and to nobody else', async () => {
		const map = await createMap(app.url);
		const sender = openSocket(app.syncUrl, map.id, map.keys.viewer);
		const other = openSocket(app.syncUrl, map.id, map.keys.viewer);
		await Promise.all([waitForOpen(sender), waitForOpen(other)]);
		const heardByOther: Uint8Array[] = [];
		other.on('message', (data: Buffer) => heardByOther.push(new Uint8Array(data)));
		const echo = nextFrame(sender, (data) => data[0] === 100);
		sender.send(new Uint8Array([100]));
		expect([...(await echo)]).toEqual([100]);
		// A second round trip on the other socket orders after anything the first could have caused.
		const otherEcho = nextFrame(other, (data) => data[0] === 100);
		other.send(new Uint8Array([100]));
		await otherEcho;
		expect(heardByOther.filter((data) => data[0] === 100)).toHaveLength(1);
		sender.close();
		other.close();
	});

	it('with anything after it, is malformed', async () => {
		const map = await createMap(app.url);
		const ws = openSocket(app.syncUrl, map.id, map.keys.editor);
		await waitForOpen(ws);
		ws.send(new Uint8Array([100, 1, 2]));
		expect((await waitForClose(ws)).code).toBe(4400);
	});
});

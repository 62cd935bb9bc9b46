/**
 * Garbage on the wire closes the socket that sent it, never the process or other rooms.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { frame, rawUpgrade, waitForEnd } from '../helpers/raw-frames.ts';
import {
	connectClient,
	createMap,
	openSocket,
	syncMessage,
	waitForDoc,
	waitForOpen,
	withDeadline,
	type CreatedMap
} from '../helpers/sync-clients.ts';

let server: TestServer;
let map: CreatedMap;

beforeAll(async () => {
	server = await startTestServer();
	map = await createMap(server.url);
});
afterAll(async () => {
	await server?.dispose();
});

async function expectHealthy(): Promise<void> {
	const a = connectClient(server.syncUrl, map.id, map.keys.editor);
	const b = connectClient(server.syncUrl, map.id, map.keys.facilitator);
	try {
		await Promise.all([a.synced, b.synced]);
		expect(b.doc.getMap('meta').get('title')).toBe('Test map');
		const key = `ok-${Math.random()}`;
		a.doc.getMap('assets').set(key, true);
		await waitForDoc(b.doc, (d) => d.getMap('assets').get(key) === true, 'edit after garbage');
	} finally {
		a.destroy();
		b.destroy();
	}
}

/**
 * Sends a frame, then a valid sync step 1. Messages are handled in order, so we get
 * either a close (the frame was rejected) or the step 2 reply (it was harmless).
 */
async function sendAndSettle(payload: Uint8Array): Promise<'closed' | 'answered'> {
	const ws = openSocket(server.syncUrl, map.id, map.keys.editor);
	await waitForOpen(ws);
	const outcome = new Promise<'closed' | 'answered'>((resolve) => {
		ws.once('close', () => resolve('closed'));
		ws.on('message', (data: Buffer) => {
			if (data[0] === 0 && data[1] === 1) resolve('answered');
		});
	});
	ws.send(payload);
	ws.send(syncMessage(0, Y.encodeStateVector(new Y.Doc())));
	const result = await withDeadline(outcome, 'close or reply');
	ws.terminate();
	return result;
}

describe('malformed traffic', () => {
	it('closes a socket that sends frames with reserved bits set', async () => {
		const path = `/sync/${map.id}?key=${map.keys.editor}`;
		for (const rsv of [0b100, 0b010, 0b001, 0b111]) {
			const socket = await rawUpgrade(server.port, path);
			socket.write(frame(syncMessage(0, new Uint8Array([0])), { rsv }));
			await waitForEnd(socket);
		}
		await expectHealthy();
	});

	it('survives raw garbage, unmasked frames and bad opcodes after a real handshake', async () => {
		const path = `/sync/${map.id}?key=${map.keys.editor}`;
		// Fixed garbage: random bytes can, now and then, spell a valid frame header that waits
		// for the rest of its payload (which the heartbeat ends, but only after 40 s).
		const attacks: Buffer[] = [
			Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2)),
			Buffer.alloc(4096, 0xff),
			frame(new Uint8Array([0, 2, 5]), { masked: false }),
			frame(new Uint8Array([1, 2, 3]), { opcode: 0x3 }),
			frame(new Uint8Array(200).fill(7), { opcode: 0x9 }), // control frame > 125 bytes
			Buffer.from([0x82, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) // 2^64-1 length
		];
		await Promise.all(
			attacks.map(async (bytes) => {
				const socket = await rawUpgrade(server.port, path);
				socket.write(bytes);
				await waitForEnd(socket);
			})
		);
		await expectHealthy();
	});

	it('closes sockets that send undecodable messages, keeps harmless ones', async () => {
		const payloads: Uint8Array[] = [
			new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), // varint overflow
			new Uint8Array([9]), // unknown message type
			new Uint8Array([0, 7, 0]), // unknown sync step
			new Uint8Array([0, 2, 50, 1, 2]), // length beyond the end
			syncMessage(2, randomBytes(300)),
			syncMessage(1, randomBytes(300)),
			syncMessage(0, randomBytes(300)),
			new Uint8Array([1, ...randomBytes(100)])
		];
		for (let i = 0; i < 40; i++) payloads.push(randomBytes(1 + (i * 37) % 500));
		for (let i = 0; i < 40; i++) payloads.push(syncMessage(2, randomBytes(1 + (i * 53) % 400)));
		const outcomes = await Promise.all(payloads.slice(0, 8).map(sendAndSettle));
		expect(outcomes.slice(0, 4)).toEqual(['closed', 'closed', 'closed', 'closed']);
		for (let i = 8; i < payloads.length; i += 10) await Promise.all(payloads.slice(i, i + 10).map(sendAndSettle));
		await expectHealthy();
	});

	it('rejects a text frame and a message above maxPayload without hurting others', async () => {
		const text = openSocket(server.syncUrl, map.id, map.keys.editor);
		await waitForOpen(text);
		const closedText = new Promise<number>((resolve) => text.once('close', (code) => resolve(code)));
		text.send('hello');
		expect(await withDeadline(closedText, 'text close')).toBe(4400);

		const big = new WebSocket(`${server.syncUrl}/${map.id}?key=${map.keys.editor}`);
		big.on('error', () => {});
		await waitForOpen(big);
		const closedBig = new Promise<number>((resolve) => big.once('close', (code) => resolve(code)));
		big.send(new Uint8Array(25 * 1024 * 1024));
		expect(await withDeadline(closedBig, 'oversized close')).toBe(1009);
		await expectHealthy();
	});
});

/**
 * Hand-built WebSocket traffic over a plain TCP socket, for the frames the ws client
 * refuses to send (reserved bits, unmasked, garbage).
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { withDeadline } from './sync-clients.ts';

export interface FrameOptions {
	opcode?: number;
	fin?: boolean;
	/** RSV1/2/3 as a 3-bit number (0b111 sets all three). */
	rsv?: number;
	masked?: boolean;
}

export function frame(payload: Uint8Array, { opcode = 2, fin = true, rsv = 0, masked = true }: FrameOptions = {}): Buffer {
	const head: number[] = [(fin ? 0x80 : 0) | ((rsv & 0b111) << 4) | (opcode & 0x0f)];
	const maskBit = masked ? 0x80 : 0;
	if (payload.length < 126) head.push(maskBit | payload.length);
	else if (payload.length < 65536) head.push(maskBit | 126, payload.length >> 8, payload.length & 0xff);
	else throw new Error('payload too large for this helper');
	if (!masked) return Buffer.concat([Buffer.from(head), payload]);
	const mask = randomBytes(4);
	const body = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]));
	return Buffer.concat([Buffer.from(head), mask, body]);
}

/** Opens a TCP connection and completes a real WebSocket handshake for `path`. */
export async function rawUpgrade(port: number, path: string): Promise<Socket> {
	const socket = connect(port, '127.0.0.1');
	socket.on('error', () => {});
	await withDeadline(new Promise((resolve) => socket.once('connect', resolve)), 'tcp connect');
	socket.write(
		`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
			`Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
	);
	const head = await withDeadline(
		new Promise<string>((resolve) => {
			let buffered = '';
			const onData = (chunk: Buffer) => {
				buffered += chunk.toString('latin1');
				if (buffered.includes('\r\n\r\n')) {
					socket.off('data', onData);
					resolve(buffered);
				}
			};
			socket.on('data', onData);
		}),
		'handshake'
	);
	if (!head.startsWith('HTTP/1.1 101')) throw new Error(`upgrade refused: ${head.split('\r\n')[0]}`);
	return socket;
}

/** Resolves when the server ends the TCP connection. */
export function waitForEnd(socket: Socket): Promise<void> {
	if (socket.destroyed) return Promise.resolve();
	return withDeadline(new Promise((resolve) => socket.once('close', () => resolve())), 'server to drop the socket');
}

/**
 * Hand-built y-websocket messages (y-protocols/sync and awareness wire format, written
 * with lib0 encoding) and ways to read what the server really holds: its live state
 * over a fresh socket, and the rows in its SQLite file.
 */
import Database from 'better-sqlite3';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { sortKeys } from './connected-docs.ts';
import { requestFullState, waitForOpen, withDeadline } from './sync-clients.ts';

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;

/** A sync message (step 1 / step 2 / update) written the way y-protocols writes it. */
export function syncFrame(kind: 'step1' | 'step2' | 'update', payload: Uint8Array): Uint8Array {
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_SYNC);
	if (kind === 'step1') encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep1);
	else if (kind === 'step2') encoding.writeVarUint(encoder, syncProtocol.messageYjsSyncStep2);
	else encoding.writeVarUint(encoder, syncProtocol.messageYjsUpdate);
	encoding.writeVarUint8Array(encoder, payload);
	return encoding.toUint8Array(encoder);
}

export interface AwarenessEntry {
	clientId: number;
	clock: number;
	/** null removes the state. */
	state: unknown;
}

/** An awareness message for any client ids, clocks and states (or a raw JSON string). */
export function awarenessFrame(entries: AwarenessEntry[], rawJson?: string): Uint8Array {
	const update = encoding.createEncoder();
	encoding.writeVarUint(update, entries.length);
	for (const entry of entries) {
		encoding.writeVarUint(update, entry.clientId);
		encoding.writeVarUint(update, entry.clock);
		encoding.writeVarString(update, rawJson ?? JSON.stringify(entry.state));
	}
	const encoder = encoding.createEncoder();
	encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
	encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update));
	return encoding.toUint8Array(encoder);
}

/** Awareness states carried by a server message, or null if it is not an awareness message. */
export function readAwareness(data: Uint8Array): Map<number, unknown> | null {
	const decoder = decoding.createDecoder(data);
	if (decoding.readVarUint(decoder) !== MESSAGE_AWARENESS) return null;
	const update = decoding.createDecoder(decoding.readVarUint8Array(decoder));
	const states = new Map<number, unknown>();
	const count = decoding.readVarUint(update);
	for (let i = 0; i < count; i++) {
		const clientId = decoding.readVarUint(update);
		decoding.readVarUint(update);
		states.set(clientId, JSON.parse(decoding.readVarString(update)));
	}
	return states;
}

/** A ws socket on /sync/<mapId> with any query parameters (key, name, affiliation, ...). */
export function openRaw(syncUrl: string, mapId: string, params: Record<string, string>): WebSocket {
	const ws = new WebSocket(`${syncUrl}/${mapId}?${new URLSearchParams(params)}`);
	ws.on('error', () => {});
	return ws;
}

/** The server's current document, read over a fresh socket with `key`. */
export async function serverDoc(syncUrl: string, mapId: string, key: string): Promise<Y.Doc> {
	const ws = openRaw(syncUrl, mapId, { key });
	try {
		await waitForOpen(ws);
		const doc = new Y.Doc();
		Y.applyUpdate(doc, await requestFullState(ws));
		return doc;
	} finally {
		ws.terminate();
	}
}

/** The document as stored in the SQLite file (every row of the map, applied in order). */
export function diskDoc(sqliteFile: string, mapId: string): { doc: Y.Doc; rows: number } {
	const db = new Database(sqliteFile, { readonly: true, fileMustExist: true });
	try {
		const rows = db.prepare('SELECT data FROM doc_updates WHERE map_id = ? ORDER BY seq').all(mapId) as { data: Buffer }[];
		const doc = new Y.Doc();
		for (const row of rows) Y.applyUpdate(doc, new Uint8Array(row.data));
		return { doc, rows: rows.length };
	} finally {
		db.close();
	}
}

/** Client ids the document has content from. */
export function clientsOf(doc: Y.Doc): Set<number> {
	return new Set(Y.decodeStateVector(Y.encodeStateVector(doc)).keys());
}

/** Resolves with the close code and reason, or 'open' if the socket answers a sync step 1 first. */
export function closeOrAnswer(ws: WebSocket): Promise<{ code: number; reason: string } | 'open'> {
	return withDeadline(
		new Promise((resolve) => {
			ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
			ws.on('message', (data: Buffer) => {
				if (data[0] === MESSAGE_SYNC && data[1] === syncProtocol.messageYjsSyncStep2) resolve('open');
			});
			ws.send(syncFrame('step1', Y.encodeStateVector(new Y.Doc())));
		}),
		'close or answer'
	);
}

/** JSON of a doc with sorted keys, for exact comparisons. */
export function canonical(doc: Y.Doc, without: string[] = []): string {
	// Roots from an applied update stay untyped (toJSON undefined) until asked for; all of ours are maps.
	for (const name of [...doc.share.keys()]) doc.getMap(name);
	const json = doc.toJSON() as Record<string, unknown>;
	for (const name of without) delete json[name];
	return JSON.stringify(sortKeys(json));
}

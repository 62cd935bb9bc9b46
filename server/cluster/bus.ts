/**
 * What the instances serving one database tell each other (REDIS_URL): a map's accepted
 * updates (after they are committed), its presence, client ids bound to devices, and
 * replaced keys. One process alone uses `noCluster`, which does nothing and costs nothing.
 *
 * Delivery is at most once and may be late or lost (Redis pub/sub): the database stays the
 * truth. Every update message names the seq the database gave it, so a room that sees a
 * seq past the one it expects reads what it lacks from the store (cluster/room-link.ts),
 * and after the connection to Redis comes back every room catches up and every loaded
 * map's key generations are read again (`onResync`).
 *
 * Whoever can publish on Redis is not trusted: every message carries an HMAC of its channel
 * and bytes under a key derived from the server secret (`sealBusMessage`), and one that does
 * not verify is dropped. A replaced key's message names only the map; the generations are
 * read from the store.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Role } from '../../src/lib/doc/model.ts';
import type { ClientOwner } from '../room/client-ids.ts';

/** A committed update as another instance announced it. */
export interface RemoteUpdate {
	seq: number;
	/** Null when it was too large to travel this way: the room reads it from the store. */
	update: Uint8Array | null;
	/** Client ids the update bound to devices (stored with it). */
	owners: ClientOwner[];
}

/** What a loaded room hears about its map from the other instances. */
export interface MapListener {
	update(message: RemoteUpdate): void;
	/** Client ids bound to devices without an update (a presence id). */
	owners(owners: ClientOwner[]): void;
	/** A presence frame (y-protocols awareness message) of the sender's own people, already stamped. */
	presence(frame: Uint8Array, from: string): void;
}

export interface ClusterBus {
	/** False for one process alone: the rooms skip every cluster step. */
	readonly enabled: boolean;
	/** Random per process; messages from this instance are never handed back to it. */
	readonly instanceId: string;
	/**
	 * Starts handing this map's messages from other instances to `listener`. Resolves once
	 * subscribed, or soon (at most a second) when that cannot happen now: the room then
	 * catches up when the connection is back (`onResync`).
	 */
	subscribe(mapId: string, listener: MapListener): Promise<void>;
	unsubscribe(mapId: string, listener: MapListener): void;
	/** A committed update: after the commit, never before. */
	publishUpdate(mapId: string, message: RemoteUpdate): void;
	publishOwners(mapId: string, owners: ClientOwner[]): void;
	publishPresence(mapId: string, frame: Uint8Array): void;
	/** A role's key was replaced: every instance closes that role's older sockets. Kept and retried while Redis is away. */
	publishRevoke(mapId: string, role: Role, generation: number): void;
	onRevoke(handler: (mapId: string, role: Role, generation: number) => void): void;
	/** The connection came back (messages may have been lost meanwhile). */
	onResync(handler: () => void): void;
	close(): Promise<void>;
}

/** One process alone: nothing to tell anyone. */
export const noCluster: ClusterBus = {
	enabled: false,
	instanceId: 'local',
	subscribe: () => Promise.resolve(),
	unsubscribe: () => {},
	publishUpdate: () => {},
	publishOwners: () => {},
	publishPresence: () => {},
	publishRevoke: () => {},
	onRevoke: () => {},
	onResync: () => {},
	close: () => Promise.resolve()
};

/**
 * Updates larger than this travel as a notice (seq only) and are read from the store: a
 * Redis subscriber that falls 8 MiB behind for a minute is disconnected, and a big import
 * must not do that to every instance.
 */
export const MAX_INLINE_UPDATE_BYTES = 256 * 1024;

const TYPE_UPDATE = 0;
const TYPE_OWNERS = 1;
const TYPE_PRESENCE = 2;

export type MapMessage =
	| { kind: 'update'; from: string; message: RemoteUpdate }
	| { kind: 'owners'; from: string; owners: ClientOwner[] }
	| { kind: 'presence'; from: string; frame: Uint8Array };

function writeOwners(encoder: encoding.Encoder, owners: ClientOwner[]): void {
	encoding.writeVarUint(encoder, owners.length);
	for (const { client, device } of owners) {
		encoding.writeVarUint(encoder, client);
		encoding.writeVarString(encoder, device);
	}
}

function readOwners(decoder: decoding.Decoder): ClientOwner[] {
	const count = decoding.readVarUint(decoder);
	const owners: ClientOwner[] = [];
	for (let i = 0; i < count; i++) owners.push({ client: decoding.readVarUint(decoder), device: decoding.readVarString(decoder) });
	return owners;
}

export function encodeMapMessage(message: MapMessage): Uint8Array {
	const encoder = encoding.createEncoder();
	switch (message.kind) {
		case 'update': {
			encoding.writeVarUint(encoder, TYPE_UPDATE);
			encoding.writeVarString(encoder, message.from);
			encoding.writeVarUint(encoder, message.message.seq);
			const inline = message.message.update !== null && message.message.update.byteLength <= MAX_INLINE_UPDATE_BYTES;
			encoding.writeVarUint(encoder, inline ? 1 : 0);
			if (inline) encoding.writeVarUint8Array(encoder, message.message.update!);
			writeOwners(encoder, message.message.owners);
			break;
		}
		case 'owners':
			encoding.writeVarUint(encoder, TYPE_OWNERS);
			encoding.writeVarString(encoder, message.from);
			writeOwners(encoder, message.owners);
			break;
		case 'presence':
			encoding.writeVarUint(encoder, TYPE_PRESENCE);
			encoding.writeVarString(encoder, message.from);
			encoding.writeVarUint8Array(encoder, message.frame);
			break;
	}
	return encoding.toUint8Array(encoder);
}

/** Null for anything it cannot read (another version's message): the database still has it all. */
export function decodeMapMessage(data: Uint8Array): MapMessage | null {
	try {
		const decoder = decoding.createDecoder(data);
		const type = decoding.readVarUint(decoder);
		const from = decoding.readVarString(decoder);
		if (type === TYPE_UPDATE) {
			const seq = decoding.readVarUint(decoder);
			const update = decoding.readVarUint(decoder) === 1 ? decoding.readVarUint8Array(decoder) : null;
			return { kind: 'update', from, message: { seq, update, owners: readOwners(decoder) } };
		}
		if (type === TYPE_OWNERS) return { kind: 'owners', from, owners: readOwners(decoder) };
		if (type === TYPE_PRESENCE) return { kind: 'presence', from, frame: decoding.readVarUint8Array(decoder) };
		return null;
	} catch {
		return null;
	}
}

export interface RevokeMessage {
	from: string;
	mapId: string;
	role: Role;
	generation: number;
}

export function decodeRevoke(text: string): RevokeMessage | null {
	try {
		const value = JSON.parse(text) as Partial<RevokeMessage>;
		if (typeof value.from !== 'string' || typeof value.mapId !== 'string' || typeof value.generation !== 'number') return null;
		if (value.role !== 'facilitator' && value.role !== 'editor' && value.role !== 'viewer') return null;
		return { from: value.from, mapId: value.mapId, role: value.role, generation: value.generation };
	} catch {
		return null;
	}
}

/** Bytes of the HMAC-SHA-256 tag in front of every bus message. */
export const BUS_TAG_BYTES = 16;

/**
 * The key bus messages are authenticated with: derived from the server secret, which every
 * instance on the database shares (cluster/instance-guard.ts), and never the secret itself.
 */
export function busKey(serverSecret: Uint8Array): Buffer {
	return createHmac('sha256', serverSecret).update('asset-atlas cluster bus').digest();
}

function busTag(key: Uint8Array, channel: string, payload: Uint8Array): Buffer {
	const name = Buffer.from(channel, 'utf8');
	const length = Buffer.alloc(4);
	length.writeUInt32BE(name.byteLength);
	// Bound to the channel: a message for one map replayed on another's channel (or on the
	// revoke channel) does not verify.
	return createHmac('sha256', key).update(length).update(name).update(payload).digest().subarray(0, BUS_TAG_BYTES);
}

/** The bytes to publish on `channel`: the tag, then the payload. */
export function sealBusMessage(key: Uint8Array, channel: string, payload: Uint8Array): Buffer {
	return Buffer.concat([busTag(key, channel, payload), payload]);
}

/** The payload of a message received on `channel`, or null when its tag does not verify. */
export function openBusMessage(key: Uint8Array, channel: string, data: Uint8Array): Uint8Array | null {
	if (data.byteLength < BUS_TAG_BYTES) return null;
	const payload = data.subarray(BUS_TAG_BYTES);
	return timingSafeEqual(busTag(key, channel, payload), data.subarray(0, BUS_TAG_BYTES)) ? payload : null;
}

/**
 * N in-memory Y.Docs joined by a simulated network, in the style of Yjs's own test
 * suite: updates queue per receiver, tests deliver them in any order (or drop a peer
 * offline), then `flush()` delivers everything and `compare()` checks all replicas agree.
 * Deterministic for a given seed and free of timers.
 */
import * as Y from 'yjs';
import { COLLECTIONS } from '../../src/lib/doc/schema.ts';

export type Random = () => number;

/** mulberry32: small, fast, and reproducible from a printed seed. */
export function seededRandom(seed: number): Random {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export interface Peer {
	doc: Y.Doc;
	online: boolean;
	/** Updates waiting to be delivered to this peer. */
	inbox: Uint8Array[];
}

export class TestNetwork {
	readonly peers: Peer[];

	constructor(count: number) {
		this.peers = Array.from({ length: count }, (_, i) => {
			const doc = new Y.Doc();
			doc.clientID = i + 1;
			return { doc, online: true, inbox: [] };
		});
		for (const sender of this.peers) {
			sender.doc.on('update', (update: Uint8Array, origin: unknown) => {
				if (origin === this) return;
				if (!sender.online) return;
				for (const receiver of this.peers) if (receiver !== sender) receiver.inbox.push(update);
			});
		}
	}

	/** Delivers one queued update to a random online peer, out of order. Returns false if none. */
	deliverOne(random: Random): boolean {
		const ready = this.peers.filter((peer) => peer.online && peer.inbox.length > 0);
		if (ready.length === 0) return false;
		const peer = ready[Math.floor(random() * ready.length)];
		const index = Math.floor(random() * peer.inbox.length);
		const [update] = peer.inbox.splice(index, 1);
		Y.applyUpdate(peer.doc, update, this);
		return true;
	}

	disconnect(peer: Peer): void {
		peer.online = false;
	}

	/** Rejoining runs the sync exchange: each side sends what the other lacks. */
	reconnect(peer: Peer): void {
		peer.online = true;
		for (const other of this.peers) {
			if (other === peer || !other.online) continue;
			Y.applyUpdate(other.doc, Y.encodeStateAsUpdate(peer.doc, Y.encodeStateVector(other.doc)), this);
			Y.applyUpdate(peer.doc, Y.encodeStateAsUpdate(other.doc, Y.encodeStateVector(peer.doc)), this);
		}
	}

	/** Brings everyone online and delivers everything. */
	flush(): void {
		for (const peer of this.peers) if (!peer.online) this.reconnect(peer);
		const random = seededRandom(1);
		while (this.deliverOne(random)) {
			/* keep delivering */
		}
	}

	/** Throws unless every replica has the same content. */
	compare(): void {
		// Y.Doc.toJSON lists only the root maps this replica has named; name them all first.
		for (const peer of this.peers) for (const root of ['meta', ...COLLECTIONS]) peer.doc.getMap(root);
		const [first, ...rest] = this.peers.map((peer) => JSON.stringify(sortKeys(peer.doc.toJSON())));
		rest.forEach((json, i) => {
			if (json !== first) throw new Error(`replica ${i + 2} differs from replica 1`);
		});
	}
}

/** Object keys in a fixed order, so two equal documents serialize to the same JSON. */
export function sortKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(sortKeys);
	if (value && typeof value === 'object') {
		return Object.fromEntries(
			Object.keys(value)
				.sort()
				.map((key) => [key, sortKeys((value as Record<string, unknown>)[key])])
		);
	}
	return value;
}

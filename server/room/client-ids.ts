/**
 * Binds each Yjs client id to the device that first wrote under it.
 *
 * Yjs trusts client ids: content under an id is "that client's", and a struct at its next
 * clock is taken as its next edit. A connection that writes under someone else's id (a
 * 13-byte GC range over their next clocks is enough) makes the server, and then every
 * peer, treat that person's later edits as already known and drop them. So the first
 * device to add content under an id owns it, and no other device may add any.
 *
 * A device is the random `device` token the page keeps in localStorage (sent on connect,
 * stored only as a hash), so a reloaded page that brings offline edits made under its old
 * id still gets them in. Bindings of such devices are stored with the update that made
 * them. A connection without a token (a stock client, a script) is its own device for as
 * long as it stays connected; its bindings are not stored and are released when it leaves.
 */
import { createHash } from 'node:crypto';

/**
 * The reserved pseudo-device that owns the ids the server writes under (core.ts serverWrite:
 * migrations, anonymous answers). Stored like any binding, so no client can ever write or
 * show presence under them. No connection's device can be it: a token's is `d:` and a hash,
 * a tab's `session:…`, a bare socket's `connection:…`.
 */
export const SERVER_DEVICE = 'server';

const DEVICE_TOKEN = /^[A-Za-z0-9_-]{16,64}$/;

/** The stored form of a device token: a hash, so the table cannot be used to pose as the device. */
export function deviceIdFor(token: string | null): string | null {
	if (token === null || !DEVICE_TOKEN.test(token)) return null;
	return `d:${createHash('sha256').update(token).digest('base64url')}`;
}

export interface ClientOwner {
	client: number;
	device: string;
}

export class ClientOwners {
	private readonly owners = new Map<number, string>();
	/** Ids held by connections without a device token; released when they leave. */
	private readonly ephemeral = new Map<string, Set<number>>();

	constructor(stored: Iterable<ClientOwner> = []) {
		for (const { client, device } of stored) this.owners.set(client, device);
	}

	owner(client: number): string | undefined {
		return this.owners.get(client);
	}

	mayWrite(client: number, device: string): boolean {
		const owner = this.owners.get(client);
		return owner === undefined || owner === device;
	}

	/**
	 * Binds the unowned ids among `clients` to `device`. Returns the bindings to store
	 * (none for an ephemeral device).
	 */
	claim(clients: Iterable<number>, device: string, persistent: boolean): ClientOwner[] {
		const stored: ClientOwner[] = [];
		for (const client of clients) {
			if (this.owners.has(client)) continue;
			this.owners.set(client, device);
			if (persistent) stored.push({ client, device });
			else {
				let held = this.ephemeral.get(device);
				if (!held) this.ephemeral.set(device, (held = new Set()));
				held.add(client);
			}
		}
		return stored;
	}

	/** Bindings stored elsewhere (another instance, the store): the first binding of an id stays. */
	adopt(stored: Iterable<ClientOwner>): void {
		for (const { client, device } of stored) if (!this.owners.has(client)) this.owners.set(client, device);
	}

	/** Forgets what an ephemeral device held. */
	release(device: string): void {
		for (const client of this.ephemeral.get(device) ?? []) {
			if (this.owners.get(client) === device) this.owners.delete(client);
		}
		this.ephemeral.delete(device);
	}
}

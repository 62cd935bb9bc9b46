/**
 * Opening a map: check the link's key with the server (or, offline, trust what this
 * device remembered), then load the doc from the device and connect it to the room.
 */
import { ApiError, fetchAccess, fetchShareInfo, keyFromHash, type ShareInfo } from '$lib/api.ts';
import { isMapId } from '$lib/doc/ids.ts';
import { createDoc } from '$lib/doc/schema.ts';
import type { Role } from '$lib/doc/model.ts';
import { connectMap, syncServerUrl } from '$lib/sync/client.ts';
import { loadProfile, recentMap, rememberMap } from '$lib/sync/device.ts';
import { LiveMap } from '$lib/sync/live-map.svelte.ts';

export type OpenResult =
	| { kind: 'ready'; live: LiveMap; key: string }
	| { kind: 'bad-link' }
	| { kind: 'no-key' };

export async function openMap(mapId: string, location: Location): Promise<OpenResult> {
	if (!isMapId(mapId)) return { kind: 'bad-link' };
	const key = keyFromHash(location.hash) ?? recentMap(mapId)?.key ?? null;
	if (!key) return { kind: 'no-key' };

	let role: Role;
	let title = '';
	try {
		({ role, title } = await fetchAccess(mapId, key));
	} catch (error) {
		if (error instanceof ApiError) return { kind: 'bad-link' };
		// No network: reopen with the role this device had, from its stored copy.
		const remembered = recentMap(mapId);
		if (!remembered || remembered.key !== key) return { kind: 'bad-link' };
		role = remembered.role;
		title = remembered.title;
	}
	rememberMap({ id: mapId, title, role, key });

	const doc = createDoc();
	const profile = role === 'viewer' ? null : loadProfile();
	const identity = profile ? { name: profile.name, affiliation: profile.affiliation } : null;
	const sync = connectMap({ doc, mapId, key, serverUrl: syncServerUrl(location), identity });
	return { kind: 'ready', live: new LiveMap({ doc, mapId, role, sync }), key };
}

export type PresentOpenResult =
	| { kind: 'ready'; live: LiveMap; share: ShareInfo | null }
	| { kind: 'bad-link' }
	| { kind: 'no-key' };

/**
 * Opening the present view. With the facilitator's key it asks for the links (for the QR
 * code and short address) and connects with the **view-only** key, so the server itself
 * refuses any write from the projector. With another key it connects with that key and
 * never writes. Either way it shows what a viewer sees: never hidden assets.
 */
/**
 * The present view takes its key out of the address once read (a projector shows the address
 * to the room); this tab keeps it for a reload.
 */
function presentKey(mapId: string, fromHash: string | null): string | null {
	const name = `atlas:present-key:${mapId}`;
	try {
		if (fromHash) sessionStorage.setItem(name, fromHash);
		return fromHash ?? sessionStorage.getItem(name);
	} catch {
		return fromHash;
	}
}

export async function openPresent(mapId: string, location: Location): Promise<PresentOpenResult> {
	if (!isMapId(mapId)) return { kind: 'bad-link' };
	const key = presentKey(mapId, keyFromHash(location.hash)) ?? recentMap(mapId)?.key ?? null;
	if (!key) return { kind: 'no-key' };
	let share: ShareInfo | null = null;
	let syncKey = key;
	try {
		const { role } = await fetchAccess(mapId, key);
		if (role === 'facilitator') {
			share = await fetchShareInfo(mapId, key);
			syncKey = keyFromHash(new URL(share.links.viewer).hash) ?? key;
		}
	} catch {
		return { kind: 'bad-link' };
	}
	const doc = createDoc();
	const sync = connectMap({ doc, mapId, key: syncKey, serverUrl: syncServerUrl(location), identity: null, readOnlyScreen: true });
	return { kind: 'ready', live: new LiveMap({ doc, mapId, role: 'viewer', sync }), share };
}

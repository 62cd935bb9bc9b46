/**
 * Opening a map: check the link's key with the server (or, offline, trust what this
 * device remembered), then load the doc from the device and connect it to the room.
 */
import { ApiError, fetchAccess, keyFromHash } from '$lib/api.ts';
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

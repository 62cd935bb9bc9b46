/**
 * One open map on the map page, and everything about it that is not drawing or editing:
 * opening it, this person's profile and presence, the facilitator's share links and link
 * rotation, "Present my view", the server's history, the toast — and `run`, the one path
 * every change to the map takes, so a refused change is always shown, in the person's words.
 */
import { untrack } from 'svelte';
import type { Map as MaplibreMap } from 'maplibre-gl';
import { fetchHistory, fetchShareInfo, rotateKey, type HistoryQuery, type ShareInfo } from '$lib/api.ts';
import type { HistoryCollection } from '$lib/history.ts';
import { docLookups } from '$lib/history-labels.ts';
import type { Affiliation, Contributor, RoundResponse } from '$lib/doc/model.ts';
import { restoreAsset } from '$lib/doc/mutations.ts';
import { entryDeletedAt, readRound } from '$lib/doc/schema.ts';
import { loadProfile, rememberMap, saveProfile } from '$lib/sync/device.ts';
import { presenceColor } from '$lib/sync/presence.ts';
import { errorMessage } from '$lib/i18n/errors.ts';
import { t } from '$lib/i18n/index.ts';
import { openMap, type OpenResult } from './open-map.ts';
import { isFreshDeletionByOther } from './deletions.ts';
import { shortName, Toast, type ToastAction } from './toast.svelte.ts';

export class MapSession {
	opened = $state<OpenResult | null>(null);
	profile = $state<Contributor | null>(loadProfile());
	editingProfile = $state(false);
	/** The facilitator's share links (derived again by the server from their key). */
	share = $state<ShareInfo | null>(null);
	/** Shown once after the facilitator link was replaced. */
	newFacilitatorLink = $state<string | null>(null);
	readonly toast = new Toast();

	readonly live = $derived(this.opened?.kind === 'ready' ? this.opened.live : null);
	readonly needsProfile = $derived(this.live !== null && this.live.role !== 'viewer' && this.profile === null);
	readonly isFacilitator = $derived(this.live?.role === 'facilitator');

	/**
	 * Opens the map (call from onMount; returns the cleanup) and keeps presence, share links
	 * and the facilitator's deletion notices up to date. Call `watch` during the page's setup.
	 */
	open(mapId: string, location: Location): () => void {
		let destroyed = false;
		openMap(mapId, location).then((result) => {
			if (destroyed) {
				if (result.kind === 'ready') result.live.destroy();
				return;
			}
			this.opened = result;
			// Ask the browser to keep this device's maps and pending changes through storage
			// pressure (granted quietly for an engaged site in Chromium; may ask elsewhere).
			if (result.kind === 'ready') void navigator.storage?.persist?.().catch(() => false);
		});
		return () => {
			destroyed = true;
			this.live?.destroy();
		};
	}

	/** The effects that follow the open map. Call once, while the page is set up. */
	watch(): void {
		// Presence: announce who this device is whenever the profile changes.
		$effect(() => {
			const live = this.live;
			if (!live) return;
			live.announce(this.profile, presenceColor(this.profile?.id ?? String(live.doc.clientID)));
		});
		$effect(() => {
			const opened = this.opened;
			if (opened?.kind !== 'ready' || opened.live.role !== 'facilitator' || this.share) return;
			fetchShareInfo(opened.live.mapId, opened.key).then((value) => (this.share = value)).catch(() => {});
		});
		// The facilitator hears of each deletion someone else makes, with a way to undo it.
		$effect(() => {
			const live = this.live;
			if (!live || live.role !== 'facilitator') return;
			const deleted = untrack(() => new Set([...live.assets.values()].filter((a) => a.deletedAt !== null).map((a) => a.id)));
			return live.onAssetsChanged((ids) => {
				for (const id of ids) {
					const asset = live.peek(id);
					const wasDeleted = deleted.has(id);
					if (asset?.deletedAt != null) deleted.add(id);
					else deleted.delete(id);
					if (!asset || !isFreshDeletionByOther(asset, wasDeleted, untrack(() => this.profile), Date.now())) continue;
					const who = asset.updatedBy?.name || t('history.someone');
					this.toast.show(t('asset.deletedBy', { who, name: shortName(asset.name || t('asset.untitled')) }), {
						label: t('facilitator.restore'),
						run: () => this.change((doc, me) => restoreAsset(doc, id, me), t('history.restoredToast'))
					});
				}
			});
		});
	}

	/**
	 * "Present my view": publish this map's view in presence while on (at most 4 times a
	 * second while it moves, and where it stops); the server relays it only from a facilitator.
	 */
	presentView(map: () => MaplibreMap | null, presenting: () => boolean): void {
		$effect(() => {
			const m = map();
			const awareness = this.live?.awareness;
			if (!m || !awareness || this.live?.role !== 'facilitator') return;
			if (!presenting()) {
				awareness.setLocalStateField('present', null);
				return;
			}
			let last = 0;
			const publish = () => {
				last = Date.now();
				const center = m.getCenter().wrap();
				awareness.setLocalStateField('present', { center: [center.lng, center.lat], zoom: m.getZoom(), bearing: m.getBearing(), pitch: m.getPitch() });
			};
			const onMove = () => {
				if (Date.now() - last > 250) publish();
			};
			publish();
			m.on('move', onMove);
			m.on('moveend', publish);
			return () => {
				m.off('move', onMove);
				m.off('moveend', publish);
			};
		});
	}

	/**
	 * The one path for changing the map. Mutations validate their input and throw when they
	 * refuse; the refusal is shown from the catalog, never thrown into the void or shown in
	 * a developer's English. On success, `done` (if any) is shown. Returns whether it worked.
	 */
	run(change: () => unknown, done?: string, action?: ToastAction): boolean {
		try {
			change();
		} catch (error) {
			console.warn('change refused', error);
			this.toast.show(errorMessage(error));
			return false;
		}
		if (done) this.toast.show(done, action);
		return true;
	}

	/** `run` for changes that need the map and this person (nothing happens without a profile). */
	change(make: (doc: NonNullable<MapSession['live']>['doc'], me: Contributor) => unknown, done?: string, action?: ToastAction): boolean {
		const live = this.live;
		const me = this.profile;
		if (!live || !me) return false;
		return this.run(() => make(live.doc, me), done, action);
	}

	saveProfile(fields: { name: string; affiliation: Affiliation }): void {
		this.profile = saveProfile(fields);
		this.editingProfile = false;
	}

	/** The present view in a new tab (drag it to the projector), with this facilitator link. */
	/** `search`: this page's filter in address form (`?goal=…`), so the big screen shows the same assets. */
	openPresent(search = ''): void {
		if (this.opened?.kind !== 'ready') return;
		window.open(`/m/${this.opened.live.mapId}/present${search}#key=${this.opened.key}`, '_blank', 'noopener');
	}

	async reloadFromServer(): Promise<void> {
		await this.live?.discardDeviceCopy();
		location.reload();
	}

	async rotate(role: 'facilitator' | 'editor' | 'viewer'): Promise<boolean> {
		const opened = this.opened;
		if (opened?.kind !== 'ready') return false;
		let info: ShareInfo;
		try {
			info = await rotateKey(opened.live.mapId, opened.key, role);
		} catch (error) {
			console.warn('link not replaced', error);
			this.toast.show(t('share.rotateFailed'));
			return false;
		}
		this.share = info;
		if (role === 'facilitator') {
			// This device keeps the map under the new key; the old one is dead everywhere.
			const key = new URL(info.links.facilitator).hash.replace(/^#key=/, '');
			rememberMap({ id: opened.live.mapId, title: opened.live.meta.title, role: 'facilitator', key });
			this.newFacilitatorLink = info.links.facilitator;
		}
		return true;
	}

	/** Reopens the map under the new facilitator link (the old socket was closed with 4401). */
	continueWithNewLink(): void {
		if (!this.newFacilitatorLink) return;
		location.replace(this.newFacilitatorLink);
		location.reload();
	}

	loadHistory = (query: HistoryQuery) => {
		const opened = this.opened;
		if (opened?.kind !== 'ready') return Promise.reject(new Error('not open'));
		return fetchHistory(opened.live.mapId, opened.key, query);
	};

	nameOf = (collection: HistoryCollection, id: string): string | null => {
		const live = this.live;
		if (!live) return null;
		if (collection === 'assets') {
			const asset = live.peek(id);
			return asset ? asset.name || t('asset.untitled') : null;
		}
		if (collection === 'goals') return live.goals.find((goal) => goal.id === id)?.title ?? null;
		if (collection === 'rounds') return readRound(live.doc, id)?.title || null;
		return null;
	};

	/** A round's prompt by its index, for the history's records of answers (null: not on this map). */
	promptOf = (roundId: string, promptId: number): string | null => {
		const live = this.live;
		return live ? docLookups(live.doc).promptOf(roundId, promptId) : null;
	};

	/** An answer as the map holds it, withdrawn ones too (null: not on this map). */
	responseOf = (id: string): RoundResponse | null => {
		const live = this.live;
		return live ? docLookups(live.doc).responseOf(id) : null;
	};

	isDeleted = (collection: HistoryCollection, id: string): boolean => {
		const live = this.live;
		if (!live || collection === 'meta') return false;
		return entryDeletedAt(live.doc, collection, id) !== null;
	};
}

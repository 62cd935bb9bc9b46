/**
 * One open map as reactive state. The Y.Doc stays the source of truth; this keeps a
 * parsed, typed index of it that is updated per changed asset (never rebuilt), bumps a
 * rune so the list re-renders, and tells the map layer exactly which ids changed.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { Awareness } from 'y-protocols/awareness';
import type { Asset, Contributor, Goal, Link, MapMeta, Role } from '../doc/model.ts';
import { linkIndex, type LinkIndex } from '../doc/coverage.ts';
import { isVisibleTo } from '../doc/selectors.ts';
import { observeAssets, observeGoals, observeLinks, observeMeta, readAllAssets, readAllGoals, readAllLinks, readAsset, readMeta, type AtlasDoc } from '../doc/schema.ts';
import type { SyncClient, SyncState } from './client.ts';
import { parsePeer, type Peer } from './presence.ts';

export type AssetsListener = (changedIds: ReadonlySet<string>) => void;

export class LiveMap {
	readonly doc: AtlasDoc;
	readonly mapId: string;
	readonly role: Role;
	readonly #assets = new Map<string, Asset>();
	readonly #listeners = new Set<AssetsListener>();
	readonly #stop: Array<() => void> = [];
	#version = $state(0);
	#meta = $state<MapMeta>() as MapMeta;
	#goals = $state<Goal[]>([]);
	#links = $state<Link[]>([]);
	/** How this person's visible assets tie to goals and to each other (coverage.ts), rebuilt per change. */
	readonly #index = $derived.by(() => linkIndex(this.assets.values(), this.#goals, this.#links, this.role));
	readonly #sync: SyncClient | null;
	readonly #subscribeSync: () => void;
	readonly #subscribePeers: () => void;

	constructor(options: { doc: AtlasDoc; mapId: string; role: Role; sync: SyncClient | null }) {
		this.doc = options.doc;
		this.mapId = options.mapId;
		this.role = options.role;
		this.#sync = options.sync;
		for (const asset of readAllAssets(this.doc)) this.#assets.set(asset.id, asset);
		this.#meta = readMeta(this.doc);
		this.#goals = readAllGoals(this.doc);
		this.#links = readAllLinks(this.doc);
		this.#stop.push(
			observeLinks(this.doc, () => (this.#links = readAllLinks(this.doc))),
			observeAssets(this.doc, (ids) => this.#applyChanges(ids)),
			observeMeta(this.doc, () => (this.#meta = readMeta(this.doc))),
			observeGoals(this.doc, () => (this.#goals = readAllGoals(this.doc)))
		);
		this.#subscribeSync = createSubscriber((update) => this.#sync?.subscribe(update));
		this.#subscribePeers = createSubscriber((update) => {
			const awareness = this.#sync?.awareness;
			if (!awareness) return;
			awareness.on('change', update);
			return () => awareness.off('change', update);
		});
	}

	#applyChanges(ids: Set<string>): void {
		for (const id of ids) {
			const asset = readAsset(this.doc, id);
			if (asset) this.#assets.set(id, asset);
			else this.#assets.delete(id);
		}
		this.#version++;
		for (const listener of this.#listeners) listener(ids);
	}

	/** Every parsed asset, deleted and hidden ones included. Reading it tracks changes. */
	get assets(): ReadonlyMap<string, Asset> {
		void this.#version;
		return this.#assets;
	}

	/** Untracked lookup, for event handlers and the map layer. */
	peek(id: string): Asset | undefined {
		return this.#assets.get(id);
	}

	/** What this person may see: deleted never, hidden only as facilitator. */
	isVisible(asset: Asset): boolean {
		return isVisibleTo(asset, this.role);
	}

	get visibleAssets(): Asset[] {
		return [...this.assets.values()].filter((asset) => this.isVisible(asset));
	}

	get goals(): Goal[] {
		return this.#goals;
	}

	/** Every readable link, removed ones and links to deleted things included. */
	get links(): Link[] {
		return this.#links;
	}

	get index(): LinkIndex {
		return this.#index;
	}

	get meta(): MapMeta {
		return this.#meta;
	}

	get canEdit(): boolean {
		if (this.role === 'viewer') return false;
		return this.role === 'facilitator' || !this.#meta.locked;
	}

	get sync(): SyncState {
		this.#subscribeSync();
		return this.#sync?.state() ?? { status: 'offline', pending: 0, loadedFromDevice: false, refusedCode: null, saveFailed: false };
	}

	get awareness(): Awareness | null {
		return this.#sync?.awareness ?? null;
	}

	/** Everyone connected right now, this device first. */
	get peers(): Peer[] {
		this.#subscribePeers();
		const awareness = this.#sync?.awareness;
		if (!awareness) return [];
		const peers: Peer[] = [];
		awareness.getStates().forEach((state, clientId) => {
			const peer = parsePeer(clientId, state, clientId === awareness.clientID);
			if (peer) peers.push(peer);
		});
		return peers.sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
	}

	/**
	 * After the server refused one of this device's writes (4409), its copy has changes the
	 * shared map will never accept; later edits would build on them. Drop it and start over.
	 */
	async discardDeviceCopy(): Promise<void> {
		await this.#sync?.discardDeviceCopy();
	}

	/** After the server said it was busy (4429): connect again. */
	retry(): void {
		this.#sync?.retry();
	}

	/** Tells the room who this is: the server stamps name, affiliation and role on presence. */
	announce(contributor: Contributor | null, color: string): void {
		this.#sync?.setIdentity(contributor ? { name: contributor.name, affiliation: contributor.affiliation } : null);
		this.#sync?.awareness.setLocalStateField('user', {
			name: contributor?.name ?? '',
			affiliation: contributor?.affiliation ?? 'other',
			role: this.role,
			color
		});
	}

	/** Any change to the map, local or remote. */
	onAnyChange(listener: () => void): () => void {
		const handler = () => listener();
		this.doc.on('update', handler);
		return () => this.doc.off('update', handler);
	}

	onAssetsChanged(listener: AssetsListener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	destroy(): void {
		for (const stop of this.#stop) stop();
		this.#listeners.clear();
		this.#sync?.destroy();
	}
}

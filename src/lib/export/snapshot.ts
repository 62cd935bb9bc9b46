/**
 * What a snapshot freezes. A snapshot keeps only the public face of the map, as a
 * document of its own: no hidden or deleted assets, no deleted goals or dead links, and
 * contributors reduced to their affiliation (no names, no ids). Its GeoJSON, CSV and KML
 * are made from that document with the same exporters as the live map, so they agree.
 */
import type { Affiliation, Asset, Category, Contributor, GoalProgress, GoalStatus, MapView } from '../doc/model.ts';
import { createDoc, encodeState, insertEntry, readAllProgress, transact, writeMeta, type AtlasDoc } from '../doc/schema.ts';
import { mapDataOf, type MapData } from './map-data.ts';
import { cleanDisplayName } from '../doc/names.ts';

export interface SnapshotCounts {
	assets: number;
	/** Public assets per category id ('unknown' for a category this version does not know). */
	categories: Partial<Record<Category | 'unknown', number>>;
	goals: number;
	/** Live links: 'supports' (asset → goal) and 'connects' (asset ↔ asset). */
	links: number;
	/** Distinct contributors per affiliation, counted from who made or last changed what is shown. */
	contributors: Partial<Record<Affiliation, number>>;
}

export interface SnapshotGoal {
	id: string;
	title: string;
	status: GoalStatus;
	/** How many public assets support it. */
	assets: number;
}

export interface SnapshotMeta {
	title: string;
	/**
	 * Contributors' names per affiliation, only when the facilitator opted the map in
	 * (meta.creditNames) before the snapshot was taken; otherwise absent, and only counted.
	 */
	contributorNames?: Partial<Record<Affiliation, string[]>>;
	/**
	 * Who changed each goal's status, by progress entry id, under the same opt-in as
	 * contributorNames (the goal timelines in the report); otherwise absent.
	 */
	progressNames?: Record<string, string>;
	place: string;
	description: string;
	view: MapView | null;
	counts: SnapshotCounts;
	goals: SnapshotGoal[];
}

const ORIGIN = 'asset-atlas:snapshot';

/** A contributor as a snapshot keeps them: the affiliation only. */
function anonymous(contributor: Contributor | null): Contributor | null {
	return contributor ? { id: contributor.affiliation, name: '', affiliation: contributor.affiliation } : null;
}

/** The timelines of the goals a snapshot keeps (progress of deleted or missing goals left out), oldest first. */
export function keptProgress(data: MapData, progress: Iterable<GoalProgress>): GoalProgress[] {
	const goals = new Set(data.goals.map((goal) => goal.id));
	return [...progress].filter((entry) => goals.has(entry.goal)).sort((a, b) => a.at - b.at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * The public document of a map: what a snapshot stores as its Yjs state. With `progress`
 * (schema 2) it keeps each kept goal's timeline, its authors reduced to their affiliation.
 */
export function publicDoc(data: MapData, progress: Iterable<GoalProgress> = []): AtlasDoc {
	const doc = createDoc();
	transact(
		doc,
		() => {
			const { title, place, description, createdAt, schemaVersion, view } = data.meta;
			writeMeta(doc, { title, place, description, createdAt, schemaVersion, locked: true, view: view ?? undefined });
			for (const asset of data.assets) {
				const { deletedAt: _deleted, hidden: _hidden, ...fields } = asset;
				insertEntry(doc, 'assets', asset.id, { ...fields, category: asset.category ?? undefined, createdBy: anonymous(asset.createdBy), updatedBy: anonymous(asset.updatedBy) });
			}
			for (const goal of data.goals) {
				const { deletedAt: _deleted, ...fields } = goal;
				insertEntry(doc, 'goals', goal.id, { ...fields, createdBy: anonymous(goal.createdBy), updatedBy: anonymous(goal.updatedBy) });
			}
			for (const link of data.links) {
				const { deletedAt: _deleted, id: _id, ...fields } = link;
				insertEntry(doc, 'links', link.id, { ...fields, createdBy: anonymous(link.createdBy) });
			}
			for (const entry of keptProgress(data, progress)) {
				insertEntry(doc, 'progress', entry.id, { ...entry, from: entry.from ?? undefined, note: entry.note || undefined, by: anonymous(entry.by) });
			}
		},
		ORIGIN
	);
	return doc;
}

/** The public document of a map as one Yjs update. */
export function publicState(doc: AtlasDoc): Uint8Array {
	const copy = publicDoc(mapDataOf(doc), readAllProgress(doc));
	try {
		return encodeState(copy);
	} finally {
		copy.destroy();
	}
}

/** Assets per category id ('unknown' for one this version does not know). */
export function countCategories(assets: Iterable<Asset>): SnapshotCounts['categories'] {
	const counts: SnapshotCounts['categories'] = {};
	for (const asset of assets) {
		const key = asset.category ?? 'unknown';
		counts[key] = (counts[key] ?? 0) + 1;
	}
	return counts;
}

/**
 * Title, place, counts and goals of a map's public face: counts only, names only when the
 * map is opted in (then also who moved each goal, from `progress`).
 */
export function snapshotMeta(data: MapData, progress: Iterable<GoalProgress> = []): SnapshotMeta {
	const categories = countCategories(data.assets);
	const people = new Map<Affiliation, Set<string>>();
	const names = new Map<Affiliation, Set<string>>();
	const count = (who: Contributor | null) => {
		if (!who) return;
		let ids = people.get(who.affiliation);
		if (!ids) people.set(who.affiliation, (ids = new Set()));
		ids.add(who.id);
		// As the server stamps names on presence: no reversed text, controls or towers of accents.
		const name = cleanDisplayName(who.name, 80);
		if (!name) return;
		let named = names.get(who.affiliation);
		if (!named) names.set(who.affiliation, (named = new Set()));
		named.add(name);
	};
	for (const asset of data.assets) (count(asset.createdBy), count(asset.updatedBy));
	for (const goal of data.goals) (count(goal.createdBy), count(goal.updatedBy));
	for (const link of data.links) count(link.createdBy);
	const contributors: SnapshotCounts['contributors'] = {};
	for (const [affiliation, ids] of [...people].sort(([a], [b]) => (a < b ? -1 : 1))) contributors[affiliation] = ids.size;
	const contributorNames: SnapshotMeta['contributorNames'] = {};
	for (const [affiliation, named] of [...names].sort(([a], [b]) => (a < b ? -1 : 1))) contributorNames[affiliation] = [...named].sort((a, b) => a.localeCompare(b, 'en'));
	const progressNames: Record<string, string> = {};
	if (data.meta.creditNames) {
		for (const entry of keptProgress(data, progress)) {
			const name = entry.by ? cleanDisplayName(entry.by.name, 80) : '';
			if (name) progressNames[entry.id] = name;
		}
	}
	return {
		title: data.meta.title,
		...(data.meta.creditNames ? { contributorNames, progressNames } : {}),
		place: data.meta.place,
		description: data.meta.description,
		view: data.meta.view,
		counts: { assets: data.assets.length, categories, goals: data.goals.length, links: data.links.length, contributors },
		goals: data.goals.map((goal) => ({ id: goal.id, title: goal.title, status: goal.status, assets: data.index.assetsOfGoal.get(goal.id)?.size ?? 0 }))
	};
}

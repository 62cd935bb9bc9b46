/**
 * What an export or a snapshot contains: the public face of a map at one moment. Exports
 * never carry hidden or deleted assets, whoever makes them (a facilitator's export is
 * shared as widely as anyone's), nor contributors' names: only their affiliation.
 * Everything is sorted, so the same map always exports to the same bytes.
 */
import { linkIndex, type LinkIndex } from '../doc/coverage.ts';
import type { Asset, Goal, Link, MapMeta } from '../doc/model.ts';
import { isPublic } from '../doc/selectors.ts';
import { readAllAssets, readAllGoals, readAllLinks, readMeta, type AtlasDoc } from '../doc/schema.ts';

export interface MapData {
	meta: MapMeta;
	/** Public assets, oldest first. */
	assets: Asset[];
	/** Goals not deleted, oldest first. */
	goals: Goal[];
	/** Live links between public assets (and goals not deleted), by id. */
	links: Link[];
	index: LinkIndex;
}

const byAge = <T extends { createdAt: number; id: string }>(a: T, b: T) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export function mapData(meta: MapMeta, assets: Iterable<Asset>, goals: Iterable<Goal>, links: Iterable<Link>): MapData {
	const shown = [...assets].filter(isPublic).sort(byAge);
	const live = [...goals].filter((goal) => goal.deletedAt === null).sort(byAge);
	const index = linkIndex(shown, live, links, 'viewer');
	const kept = [...links]
		.filter((link) => {
			if (link.deletedAt !== null || !index.assets.has(link.from)) return false;
			return link.kind === 'supports' ? index.goals.has(link.to) : index.assets.has(link.to) && link.from !== link.to;
		})
		.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
	return { meta, assets: shown, goals: live, links: kept, index };
}

export function mapDataOf(doc: AtlasDoc): MapData {
	return mapData(readMeta(doc), readAllAssets(doc), readAllGoals(doc), readAllLinks(doc));
}

/** The goals an asset supports, in goal order. */
export function goalsSupportedBy(data: MapData, assetId: string): Goal[] {
	const ids = data.index.goalsOfAsset.get(assetId);
	return ids ? data.goals.filter((goal) => ids.has(goal.id)) : [];
}

/** A file name for an export: the map's title in safe characters. */
export function exportFileName(title: string, extension: string, suffix = ''): string {
	const base =
		title
			.normalize('NFD')
			.replace(/\p{Diacritic}/gu, '')
			.toLowerCase()
			.replace(/[^a-z0-9]+/g, '-')
			.replace(/^-+|-+$/g, '')
			.slice(0, 60) || 'asset-map';
	return `${base}${suffix}.${extension}`;
}

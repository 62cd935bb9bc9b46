/**
 * Read-only views of how assets tie to goals and to each other: which goals the map's
 * assets support (and from whom those assets came), goals no asset supports yet, assets
 * not tied to any goal, and each asset's connections. Links to something deleted, missing
 * or not visible to the reader are ignored (they stay in the doc, DESIGN.md).
 */
import {
	CATEGORIES,
	affiliationGroup,
	type Asset,
	type Category,
	type Goal,
	type Link,
	type Role
} from './model.ts';
import { isVisibleTo } from './selectors.ts';

/** The live links of a map, indexed both ways. Build once per change; every selector below reads it. */
export interface LinkIndex {
	/** Visible assets by id. */
	assets: Map<string, Asset>;
	/** Goals not deleted, by id. */
	goals: Map<string, Goal>;
	/** Goal ids each asset supports. */
	goalsOfAsset: Map<string, Set<string>>;
	/** Asset ids supporting each goal. */
	assetsOfGoal: Map<string, Set<string>>;
	/** Asset ids connected to each asset, both directions. */
	connections: Map<string, Set<string>>;
}

function add(index: Map<string, Set<string>>, key: string, value: string): void {
	let set = index.get(key);
	if (!set) index.set(key, (set = new Set()));
	set.add(value);
}

export function linkIndex(assets: Iterable<Asset>, goals: Iterable<Goal>, links: Iterable<Link>, role: Role): LinkIndex {
	const index: LinkIndex = {
		assets: new Map(),
		goals: new Map(),
		goalsOfAsset: new Map(),
		assetsOfGoal: new Map(),
		connections: new Map()
	};
	for (const asset of assets) if (isVisibleTo(asset, role)) index.assets.set(asset.id, asset);
	for (const goal of goals) if (goal.deletedAt === null) index.goals.set(goal.id, goal);
	for (const link of links) {
		if (link.deletedAt !== null || !index.assets.has(link.from)) continue;
		if (link.kind === 'supports') {
			if (!index.goals.has(link.to)) continue;
			add(index.goalsOfAsset, link.from, link.to);
			add(index.assetsOfGoal, link.to, link.from);
		} else if (link.kind === 'connects') {
			if (!index.assets.has(link.to) || link.to === link.from) continue;
			add(index.connections, link.from, link.to);
			add(index.connections, link.to, link.from);
		}
	}
	return index;
}

export interface GoalCoverage {
	goal: Goal;
	/** Supporting assets. */
	assets: number;
	/** Supporting assets per category, every category listed; null for a category this version does not know. */
	byCategory: Map<Category | null, number>;
	/** Supporting assets added by community voices, by campus voices, and by others or unknown. */
	community: number;
	campus: number;
	other: number;
}

/** Coverage of every goal that is not deleted, in the order the goals were given. */
export function goalCoverage(index: LinkIndex): GoalCoverage[] {
	const out: GoalCoverage[] = [];
	for (const goal of index.goals.values()) {
		const coverage: GoalCoverage = {
			goal,
			assets: 0,
			byCategory: new Map<Category | null, number>(CATEGORIES.map((category) => [category, 0])),
			community: 0,
			campus: 0,
			other: 0
		};
		for (const id of index.assetsOfGoal.get(goal.id) ?? []) {
			const asset = index.assets.get(id)!;
			coverage.assets++;
			coverage.byCategory.set(asset.category, (coverage.byCategory.get(asset.category) ?? 0) + 1);
			coverage[affiliationGroup(asset.createdBy?.affiliation) ?? 'other']++;
		}
		out.push(coverage);
	}
	return out;
}

/** Goals that no visible asset supports yet: where the next workshop could look. */
export function goalsWithoutAssets(index: LinkIndex): Goal[] {
	return [...index.goals.values()].filter((goal) => !index.assetsOfGoal.has(goal.id));
}

/** Visible assets that support no goal. */
export function assetsWithoutGoals(index: LinkIndex): Asset[] {
	return [...index.assets.values()].filter((asset) => !index.goalsOfAsset.has(asset.id));
}

/** The visible assets an asset is connected to, sorted by id; empty when none. */
export function connectionsOf(index: LinkIndex, assetId: string): string[] {
	return [...(index.connections.get(assetId) ?? [])].sort();
}

/** How many connections each visible asset has (0 included). */
export function connectionCounts(index: LinkIndex): Map<string, number> {
	return new Map([...index.assets.keys()].map((id) => [id, index.connections.get(id)?.size ?? 0]));
}

/** The goals an asset supports, as goals, in goal order. */
export function goalsOf(index: LinkIndex, assetId: string): Goal[] {
	const ids = index.goalsOfAsset.get(assetId);
	return ids ? [...index.goals.values()].filter((goal) => ids.has(goal.id)) : [];
}

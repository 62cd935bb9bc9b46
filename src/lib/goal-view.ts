/**
 * Pure helpers behind the goal panels (GoalsPanel, GoalForm, AssetPicker, CoverageView):
 * grouping goals by horizon, the picker's name search, a goal's supporting assets, the
 * patch a goal form writes, and the shares of the "from whose hands" bar. No Svelte, no DOM.
 */
import type { LinkIndex } from './doc/coverage.ts';
import type { GoalFields } from './doc/goal-mutations.ts';
import { GOAL_HORIZONS, type Asset, type Goal, type GoalHorizon } from './doc/model.ts';

const byName = new Intl.Collator(undefined, { sensitivity: 'base' });

/** Case- and accent-insensitive form of a text, for matching what a person types. */
export function foldText(value: string): string {
	return value.normalize('NFD').replace(/\p{Diacritic}/gu, '').toLowerCase();
}

/** Oldest first, so a goal keeps its place in the list while people add more. */
function byAge(a: Goal, b: Goal): number {
	return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

export interface HorizonGroup {
	horizon: GoalHorizon;
	goals: Goal[];
}

/** Short-term goals, then long-term ones (both groups always present), each oldest first. */
export function goalsByHorizon(goals: Iterable<Goal>): HorizonGroup[] {
	const groups = GOAL_HORIZONS.map((horizon) => ({ horizon, goals: [] as Goal[] }));
	for (const goal of goals) {
		// A horizon this version does not know is shown with the long-term goals rather than dropped.
		(groups.find((group) => group.horizon === goal.horizon) ?? groups[groups.length - 1]).goals.push(goal);
	}
	for (const group of groups) group.goals.sort(byAge);
	return groups;
}

/** Whether every word typed appears in the name, ignoring case and accents. */
export function nameMatches(name: string, query: string): boolean {
	const words = foldText(query.trim()).split(/\s+/).filter(Boolean);
	if (words.length === 0) return true;
	const haystack = foldText(name);
	return words.every((word) => haystack.includes(word));
}

/**
 * The picker's rows: assets whose name matches, those in `first` (what a lasso caught,
 * or what was chosen when the picker opened) ahead of the rest, each part sorted by name.
 */
export function pickerRows(assets: Iterable<Asset>, query: string, first: ReadonlySet<string> = new Set()): Asset[] {
	const rows: Asset[] = [];
	for (const asset of assets) if (nameMatches(asset.name, query)) rows.push(asset);
	return rows.sort((a, b) => Number(first.has(b.id)) - Number(first.has(a.id)) || byName.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
}

/** The visible assets supporting a goal, sorted by name. */
export function supportingAssets(index: LinkIndex, goalId: string): Asset[] {
	const ids = index.assetsOfGoal.get(goalId);
	if (!ids) return [];
	const assets: Asset[] = [];
	for (const id of ids) {
		const asset = index.assets.get(id);
		if (asset) assets.push(asset);
	}
	return assets.sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
}

/** How many visible assets support a goal. */
export function supportCount(index: LinkIndex, goalId: string): number {
	return index.assetsOfGoal.get(goalId)?.size ?? 0;
}

/** A goal's form fields with text trimmed, as a save writes them. */
export function cleanGoalForm(fields: GoalFields): GoalFields {
	return { title: fields.title.trim(), description: fields.description.trim(), horizon: fields.horizon, status: fields.status };
}

/**
 * What an edit writes: only the fields the person changed from what the form opened with,
 * so a peer's concurrent change to another field is not overwritten. A new goal (no
 * `before`) writes everything.
 */
export function goalPatch(before: GoalFields | null, after: GoalFields): Partial<GoalFields> {
	const clean = cleanGoalForm(after);
	if (!before) return clean;
	const start = cleanGoalForm(before);
	const patch: Partial<GoalFields> = {};
	for (const key of ['title', 'description', 'horizon', 'status'] as const) {
		if (clean[key] !== start[key]) (patch as Record<string, string>)[key] = clean[key];
	}
	return patch;
}

export interface VoiceCounts {
	community: number;
	campus: number;
	other: number;
}

/**
 * Whole percentages of community, campus and other voices that add up to 100 (largest
 * remainder), for the widths of a split bar; all zero when there is nothing to split.
 */
export function voiceShares(counts: VoiceCounts): VoiceCounts {
	const keys = ['community', 'campus', 'other'] as const;
	const total = keys.reduce((sum, key) => sum + Math.max(0, counts[key]), 0);
	if (total === 0) return { community: 0, campus: 0, other: 0 };
	const exact = keys.map((key) => (Math.max(0, counts[key]) * 100) / total);
	const shares = exact.map(Math.floor);
	let left = 100 - shares.reduce((sum, share) => sum + share, 0);
	const order = keys.map((_, i) => i).sort((a, b) => exact[b] - shares[b] - (exact[a] - shares[a]) || a - b);
	for (const i of order) {
		if (left <= 0) break;
		shares[i]++;
		left--;
	}
	return { community: shares[0], campus: shares[1], other: shares[2] };
}

/** How many visible assets support at least one goal, of how many. */
export function tiedAssets(index: LinkIndex): { tied: number; total: number } {
	let tied = 0;
	for (const id of index.assets.keys()) if (index.goalsOfAsset.has(id)) tied++;
	return { tied, total: index.assets.size };
}

/** Sorted by name, for lists a person scans. */
export function sortByName<T extends { name: string; id: string }>(items: Iterable<T>): T[] {
	return [...items].sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
}

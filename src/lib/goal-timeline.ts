/**
 * A goal's timeline: every recorded change of its status (schema 2 `progress`), oldest
 * first, as GoalTimeline shows it. No Svelte, no DOM.
 */
import type { Affiliation, GoalProgress } from './doc/model.ts';

export interface TimelineEntry {
	id: string;
	/** null: where the goal's timeline starts (it was added with this status). */
	from: GoalProgress['from'];
	to: GoalProgress['to'];
	note: string;
	who: { name: string; affiliation: Affiliation } | null;
	at: number;
}

const oldestFirst = (a: GoalProgress, b: GoalProgress) => a.at - b.at || (a.id === a.goal ? -1 : b.id === b.goal ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function entryOf(progress: GoalProgress): TimelineEntry {
	return {
		id: progress.id,
		from: progress.from,
		to: progress.to,
		note: progress.note,
		who: progress.by ? { name: progress.by.name, affiliation: progress.by.affiliation } : null,
		at: progress.at
	};
}

/**
 * Every goal's timeline, by goal id, each oldest first. The entry that starts a goal's
 * timeline (keyed by the goal's own id) comes first among entries of the same moment.
 */
export function timelines(progress: Iterable<GoalProgress>): Map<string, TimelineEntry[]> {
	const byGoal = new Map<string, GoalProgress[]>();
	for (const entry of progress) {
		const list = byGoal.get(entry.goal);
		if (list) list.push(entry);
		else byGoal.set(entry.goal, [entry]);
	}
	const out = new Map<string, TimelineEntry[]>();
	for (const [goal, list] of byGoal) out.set(goal, list.sort(oldestFirst).map(entryOf));
	return out;
}

/** One goal's timeline, oldest first. */
export function goalTimeline(progress: Iterable<GoalProgress>, goalId: string): TimelineEntry[] {
	return timelines(progress).get(goalId) ?? [];
}

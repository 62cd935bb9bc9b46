/**
 * The public JSON of a snapshot (GET /api/snapshots/<id>, server/snapshots.ts) as the page
 * reads it, and what the page derives from it. Every field is checked before use: the
 * page shows what it can and leaves out what it cannot read.
 */
import { parseGeometry } from '../doc/validate.ts';
import type { AssetGeometry, GoalStatus, MapView } from '../doc/model.ts';
import { GOAL_STATUSES } from '../doc/model.ts';
import { isCompetency, type CompetencyId } from '../export/competencies.ts';

export interface SnapshotAsset {
	id: string;
	name: string;
	category: string;
	holder: string;
	geometry: AssetGeometry;
	goalIds: string[];
	goalTitles: string[];
}

export interface SnapshotGoalView {
	id: string;
	title: string;
	description: string;
	status: GoalStatus | null;
	assets: SnapshotAsset[];
}

export interface SnapshotAnnotationView {
	id: string;
	at: number;
	text: string;
	competencies: CompetencyId[];
	by: 'annotator' | 'facilitator';
}

export interface SnapshotView {
	id: string;
	/** The address it is cited at (the server's, which may be a LAN address). */
	url: string;
	title: string;
	place: string;
	description: string;
	view: MapView | null;
	takenAt: number;
	takenBy: { name: string; affiliation: string | null } | null;
	sha256: string;
	/** SHA-256 of its stored picture, or null when none was filed. */
	pngSha256: string | null;
	citation: { apa: string; plain: string };
	categories: Array<{ category: string; count: number }>;
	/** Distinct contributors per affiliation, with their names when the map was opted in to naming them. */
	contributors: Array<{ affiliation: string; count: number; names: string[] }>;
	assets: SnapshotAsset[];
	goals: SnapshotGoalView[];
	annotations: SnapshotAnnotationView[];
}

type Raw = Record<string, unknown>;
const isRaw = (value: unknown): value is Raw => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown) => (typeof value === 'string' ? value : '');
const strings = (value: unknown) => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);

/** Null when the answer is not a snapshot at all. */
export function readSnapshot(raw: unknown): SnapshotView | null {
	if (!isRaw(raw) || !isRaw(raw.meta) || !isRaw(raw.citation) || typeof raw.takenAt !== 'number') return null;
	const meta = raw.meta;
	const geojson = isRaw(raw.geojson) ? raw.geojson : {};
	const assets: SnapshotAsset[] = [];
	for (const feature of Array.isArray(geojson.features) ? geojson.features : []) {
		if (!isRaw(feature) || !isRaw(feature.properties) || feature.properties.kind !== 'asset') continue;
		const geometry = parseGeometry(feature.geometry);
		if (!geometry) continue;
		const p = feature.properties;
		assets.push({ id: str(feature.id), name: str(p.name), category: str(p.category) || 'unknown', holder: str(p.holder), geometry, goalIds: strings(p.goalIds), goalTitles: strings(p.goalTitles) });
	}
	const goals: SnapshotGoalView[] = [];
	for (const goal of Array.isArray(geojson.goals) ? geojson.goals : []) {
		if (!isRaw(goal)) continue;
		const id = str(goal.id);
		const status = (GOAL_STATUSES as readonly unknown[]).includes(goal.status) ? (goal.status as GoalStatus) : null;
		goals.push({ id, title: str(goal.title), description: str(goal.description), status, assets: assets.filter((asset) => asset.goalIds.includes(id)) });
	}
	const counts = isRaw(meta.counts) && isRaw(meta.counts.categories) ? meta.counts.categories : {};
	const categories = Object.entries(counts)
		.filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
		.map(([category, count]) => ({ category, count }));
	const people = isRaw(meta.counts) && isRaw(meta.counts.contributors) ? meta.counts.contributors : {};
	const named = isRaw(meta.contributorNames) ? meta.contributorNames : {};
	const contributors = Object.entries(people)
		.filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
		.map(([affiliation, count]) => ({ affiliation, count, names: strings(named[affiliation]) }));
	const annotations: SnapshotAnnotationView[] = [];
	for (const note of Array.isArray(raw.annotations) ? raw.annotations : []) {
		if (!isRaw(note) || typeof note.text !== 'string') continue;
		annotations.push({
			id: str(note.id),
			at: typeof note.at === 'number' ? note.at : 0,
			text: note.text,
			competencies: strings(note.competencies).filter(isCompetency),
			by: note.by === 'facilitator' ? 'facilitator' : 'annotator'
		});
	}
	const view = isRaw(meta.view) && Array.isArray(meta.view.center) && typeof meta.view.zoom === 'number' ? (meta.view as unknown as MapView) : null;
	const takenBy = isRaw(raw.takenBy) && typeof raw.takenBy.name === 'string' ? { name: raw.takenBy.name, affiliation: typeof raw.takenBy.affiliation === 'string' ? raw.takenBy.affiliation : null } : null;
	return {
		id: str(raw.id),
		url: str(raw.url),
		title: str(meta.title),
		place: str(meta.place),
		description: str(meta.description),
		view,
		takenAt: raw.takenAt,
		takenBy,
		sha256: str(raw.sha256),
		pngSha256: typeof raw.pngSha256 === 'string' && /^[0-9a-f]{64}$/.test(raw.pngSha256) ? raw.pngSha256 : null,
		citation: { apa: str(raw.citation.apa), plain: str(raw.citation.plain) },
		categories,
		contributors,
		assets,
		goals,
		annotations
	};
}

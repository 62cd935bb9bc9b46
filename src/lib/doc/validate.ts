/**
 * Turns whatever a peer wrote into typed values. Peers may run older or newer versions,
 * and a malicious client can write anything its role allows, so every reader goes
 * through here: missing or ill-typed fields get defaults, and only an asset we cannot
 * place on the map (no valid geometry) is skipped.
 */
import {
	AFFILIATIONS,
	CATEGORIES,
	LIMITS,
	type Affiliation,
	type Asset,
	type AssetGeometry,
	type Category,
	type Contributor,
	type Goal,
	type GoalProgress,
	type GoalStatus,
	type Link,
	type Round,
	type RoundResponse,
	GOAL_HORIZONS,
	GOAL_STATUSES,
	type MapMeta,
	type MapView,
	type Position
} from './model.ts';
import { selfCrossings } from './geometry.ts';
import { isEntityId, linkId } from './ids.ts';

type Raw = Record<string, unknown>;

export function isRecord(value: unknown): value is Raw {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function text(value: unknown, max: number): string {
	return typeof value === 'string' ? value.slice(0, max) : '';
}

function finiteNumber(value: unknown, fallback: number): number {
	return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function isCategory(value: unknown): value is Category {
	return typeof value === 'string' && (CATEGORIES as readonly string[]).includes(value);
}

export function isAffiliation(value: unknown): value is Affiliation {
	return typeof value === 'string' && (AFFILIATIONS as readonly string[]).includes(value);
}

export function parsePosition(value: unknown): Position | null {
	if (!Array.isArray(value) || value.length < 2) return null;
	const [lng, lat] = value;
	if (typeof lng !== 'number' || typeof lat !== 'number') return null;
	if (!Number.isFinite(lng) || !Number.isFinite(lat)) return null;
	if (lng < -180 || lng > 180 || lat < -90 || lat > 90) return null;
	return [lng, lat];
}

function parsePositions(value: unknown, min: number): Position[] | null {
	if (!Array.isArray(value) || value.length < min || value.length > LIMITS.vertices) return null;
	const out: Position[] = [];
	for (const item of value) {
		const position = parsePosition(item);
		if (!position) return null;
		out.push(position);
	}
	return out;
}

function samePosition(a: Position, b: Position): boolean {
	return a[0] === b[0] && a[1] === b[1];
}

export function parseGeometry(value: unknown): AssetGeometry | null {
	if (!isRecord(value)) return null;
	switch (value.type) {
		case 'Point': {
			const coordinates = parsePosition(value.coordinates);
			return coordinates ? { type: 'Point', coordinates } : null;
		}
		case 'LineString': {
			const coordinates = parsePositions(value.coordinates, 2);
			return coordinates ? { type: 'LineString', coordinates } : null;
		}
		case 'Polygon': {
			if (!Array.isArray(value.coordinates) || value.coordinates.length < 1) return null;
			if (value.coordinates.length > 100) return null;
			const rings: Position[][] = [];
			for (const rawRing of value.coordinates) {
				const ring = parsePositions(rawRing, 4);
				if (!ring || !samePosition(ring[0], ring[ring.length - 1])) return null;
				rings.push(ring);
			}
			return { type: 'Polygon', coordinates: rings };
		}
		default:
			return null;
	}
}

export function parseContributor(value: unknown): Contributor | null {
	if (!isRecord(value)) return null;
	const id = text(value.id, 64);
	if (!id) return null;
	return {
		id,
		name: text(value.name, LIMITS.name),
		affiliation: isAffiliation(value.affiliation) ? value.affiliation : 'other'
	};
}

export function parseTags(value: unknown): string[] {
	if (!Array.isArray(value)) return [];
	const tags: string[] = [];
	for (const item of value) {
		if (typeof item !== 'string') continue;
		const tag = item.trim().slice(0, LIMITS.tag);
		if (tag && !tags.includes(tag)) tags.push(tag);
		if (tags.length >= LIMITS.tags) break;
	}
	return tags;
}

/** An asset as a peer wrote it, or null when it cannot be shown at all. */
export function parseAsset(id: string, raw: unknown): Asset | null {
	if (!isRecord(raw)) return null;
	const geometry = parseGeometry(raw.geometry);
	if (!geometry) return null;
	const createdAt = finiteNumber(raw.createdAt, 0);
	return {
		id,
		name: text(raw.name, LIMITS.name),
		category: isCategory(raw.category) ? raw.category : null,
		description: text(raw.description, LIMITS.description),
		holder: text(raw.holder, LIMITS.holder),
		geometry,
		tags: parseTags(raw.tags),
		createdBy: parseContributor(raw.createdBy),
		createdAt,
		updatedBy: parseContributor(raw.updatedBy),
		updatedAt: finiteNumber(raw.updatedAt, createdAt),
		hidden: raw.hidden === true,
		deletedAt: deletedAtOf(raw)
	};
}

function deletedAtOf(raw: Raw): number | null {
	const value = raw.deletedAt;
	return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function parseGoal(id: string, raw: unknown): Goal | null {
	if (!isRecord(raw)) return null;
	const createdAt = finiteNumber(raw.createdAt, 0);
	return {
		id,
		title: text(raw.title, LIMITS.title),
		description: text(raw.description, LIMITS.description),
		horizon: (GOAL_HORIZONS as readonly unknown[]).includes(raw.horizon) ? (raw.horizon as Goal['horizon']) : 'short',
		status: (GOAL_STATUSES as readonly unknown[]).includes(raw.status) ? (raw.status as Goal['status']) : 'proposed',
		createdBy: parseContributor(raw.createdBy),
		createdAt,
		updatedBy: parseContributor(raw.updatedBy),
		updatedAt: finiteNumber(raw.updatedAt, createdAt),
		deletedAt: deletedAtOf(raw),
		nextSteps: text(raw.nextSteps, LIMITS.description)
	};
}

export function isGoalStatus(value: unknown): value is GoalStatus {
	return (GOAL_STATUSES as readonly unknown[]).includes(value);
}

/** A round as a peer wrote it; prompts that are not text are dropped, at most LIMITS.prompts kept. */
export function parseRound(id: string, raw: unknown): Round | null {
	if (!isRecord(raw)) return null;
	const prompts = Array.isArray(raw.prompts)
		? raw.prompts
				.filter((prompt): prompt is string => typeof prompt === 'string')
				.map((prompt) => prompt.slice(0, LIMITS.prompt))
				.slice(0, LIMITS.prompts)
		: [];
	return {
		id,
		title: text(raw.title, LIMITS.title),
		prompts,
		anonymous: raw.anonymous === true,
		status: raw.status === 'closed' ? 'closed' : 'open',
		openedBy: parseContributor(raw.openedBy),
		openedAt: finiteNumber(raw.openedAt, 0),
		closedAt: typeof raw.closedAt === 'number' && Number.isFinite(raw.closedAt) ? raw.closedAt : null,
		deletedAt: deletedAtOf(raw)
	};
}

/** An answer as a peer (or the server, for anonymous ones) wrote it; null without a round or prompt. */
export function parseResponse(id: string, raw: unknown): RoundResponse | null {
	if (!isRecord(raw)) return null;
	if (!isEntityId(raw.round)) return null;
	const prompt = raw.prompt;
	if (typeof prompt !== 'number' || !Number.isInteger(prompt) || prompt < 0 || prompt >= LIMITS.prompts) return null;
	const createdAt = finiteNumber(raw.createdAt, 0);
	return {
		id,
		round: raw.round,
		prompt,
		text: text(raw.text, LIMITS.answer),
		goal: isEntityId(raw.goal) ? raw.goal : null,
		createdBy: parseContributor(raw.createdBy),
		createdAt,
		updatedAt: finiteNumber(raw.updatedAt, createdAt),
		deletedAt: deletedAtOf(raw)
	};
}

/** A status change of a goal; null without a goal or a known new status. */
export function parseProgress(id: string, raw: unknown): GoalProgress | null {
	if (!isRecord(raw)) return null;
	if (!isEntityId(raw.goal) || !isGoalStatus(raw.to)) return null;
	return {
		id,
		goal: raw.goal,
		from: isGoalStatus(raw.from) ? raw.from : null,
		to: raw.to,
		note: text(raw.note, LIMITS.progressNote),
		by: parseContributor(raw.by),
		at: finiteNumber(raw.at, 0)
	};
}

/**
 * A link as a peer wrote it, or null when it names no usable kind or ends. The entry's own
 * key is not trusted for meaning: the id returned is derived from kind, from and to, so
 * readers count two entries for the same link once.
 */
export function parseLink(raw: unknown): Link | null {
	if (!isRecord(raw)) return null;
	const { kind, from, to } = raw;
	if (kind !== 'supports' && kind !== 'connects') return null;
	if (!isEntityId(from) || !isEntityId(to)) return null;
	if (kind === 'connects' && from === to) return null;
	return {
		id: linkId(kind, from, to)!,
		kind,
		from,
		to,
		note: text(raw.note, LIMITS.description),
		createdBy: parseContributor(raw.createdBy),
		createdAt: finiteNumber(raw.createdAt, 0),
		deletedAt: deletedAtOf(raw)
	};
}

export function parseMapView(value: unknown): MapView | null {
	if (!isRecord(value)) return null;
	const center = parsePosition(value.center);
	const zoom = value.zoom;
	if (!center || typeof zoom !== 'number' || !Number.isFinite(zoom) || zoom < 0 || zoom > 24) {
		return null;
	}
	return { center, zoom };
}

export function parseMeta(raw: Raw): MapMeta {
	return {
		title: text(raw.title, LIMITS.title),
		place: text(raw.place, LIMITS.place),
		description: text(raw.description, LIMITS.description),
		createdAt: finiteNumber(raw.createdAt, 0),
		schemaVersion: finiteNumber(raw.schemaVersion, 0),
		locked: raw.locked === true,
		view: parseMapView(raw.view),
		creditNames: raw.creditNames === true
	};
}

/**
 * A person's own area is refused when its edges cross (a bow tie): its size, its label and
 * "is this point inside" have no clear answer. Found by @turf/kinks. Peers' areas are still
 * read (parseGeometry) so that nothing already on the map disappears.
 */
export function checkDrawnGeometry(geometry: AssetGeometry): void {
	if (geometry.type !== 'Polygon') return;
	const crossings = selfCrossings(geometry);
	if (crossings.length > 0) {
		const [lng, lat] = crossings[0];
		throw new InvalidInputError('geometry', `the area's edges cross each other (near ${lng.toFixed(5)}, ${lat.toFixed(5)})`, 'self-crossing');
	}
}

/** Thrown by mutations when a person's own input is unusable; the doc is left unchanged. */
export class InvalidInputError extends Error {
	constructor(
		readonly field: string,
		message: string,
		/** Why, when the field alone does not say it (e.g. 'self-crossing'), for a more precise sentence. */
		readonly reason?: string
	) {
		super(message);
		this.name = 'InvalidInputError';
	}
}

/**
 * Plain typed values of the shared document (schema version 2, see shared/DESIGN.md and the
 * README's "Schema version 2": check-in rounds, their answers and goal progress).
 * Everything outside schema.ts works with these, never with Yjs types.
 */

export const SCHEMA_VERSION = 2;

export const CATEGORIES = [
	'knowledge',
	'skills',
	'organizations',
	'networks',
	'institutions',
	'places',
	'economy',
	'culture'
] as const;
export type Category = (typeof CATEGORIES)[number];

export const AFFILIATIONS = [
	'community-member',
	'community-organization',
	'campus-staff',
	'faculty',
	'student',
	'other'
] as const;
export type Affiliation = (typeof AFFILIATIONS)[number];

export const ROLES = ['facilitator', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export type Position = [lng: number, lat: number];
export type PointGeometry = { type: 'Point'; coordinates: Position };
export type LineStringGeometry = { type: 'LineString'; coordinates: Position[] };
export type PolygonGeometry = { type: 'Polygon'; coordinates: Position[][] };
export type AssetGeometry = PointGeometry | LineStringGeometry | PolygonGeometry;

export interface Contributor {
	id: string;
	name: string;
	affiliation: Affiliation;
}

export interface MapView {
	center: Position;
	zoom: number;
}

export interface MapMeta {
	title: string;
	place: string;
	description: string;
	createdAt: number;
	schemaVersion: number;
	locked: boolean;
	view: MapView | null;
	/** Whether snapshots name their contributors (the facilitator opts the map in); otherwise they count them only. */
	creditNames: boolean;
}

export interface Asset {
	id: string;
	name: string;
	/** null when a newer peer wrote a category this version does not know. */
	category: Category | null;
	description: string;
	holder: string;
	geometry: AssetGeometry;
	tags: string[];
	createdBy: Contributor | null;
	createdAt: number;
	updatedBy: Contributor | null;
	updatedAt: number;
	hidden: boolean;
	deletedAt: number | null;
}

export const GOAL_HORIZONS = ['short', 'long'] as const;
export type GoalHorizon = (typeof GOAL_HORIZONS)[number];
export const GOAL_STATUSES = ['proposed', 'active', 'achieved', 'paused', 'not-achieved'] as const;
export type GoalStatus = (typeof GOAL_STATUSES)[number];

export interface Goal {
	id: string;
	title: string;
	description: string;
	horizon: GoalHorizon;
	status: GoalStatus;
	createdBy: Contributor | null;
	createdAt: number;
	updatedBy: Contributor | null;
	updatedAt: number;
	deletedAt: number | null;
	/** What the partners plan next for this goal (schema 2; '' when none written). */
	nextSteps: string;
}

export const LINK_KINDS = ['supports', 'connects'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

/** 'supports': asset (from) → goal (to); 'connects': asset ↔ asset. The id is derived (ids.ts linkId). */
export interface Link {
	id: string;
	kind: LinkKind;
	from: string;
	to: string;
	note: string;
	createdBy: Contributor | null;
	createdAt: number;
	/** Set when the link itself was removed; such links are not shown. */
	deletedAt: number | null;
}

export const ROUND_STATUSES = ['open', 'closed'] as const;
export type RoundStatus = (typeof ROUND_STATUSES)[number];

/**
 * A check-in round (schema 2): a facilitator opens it with prompts, participants answer,
 * a facilitator closes it (then the server refuses answers to it). In an anonymous round the
 * answers are written by the server under its own client id, with no contributor.
 */
export interface Round {
	id: string;
	title: string;
	prompts: string[];
	anonymous: boolean;
	status: RoundStatus;
	openedBy: Contributor | null;
	openedAt: number;
	closedAt: number | null;
	deletedAt: number | null;
}

/** One answer to one prompt of a round. */
export interface RoundResponse {
	id: string;
	round: string;
	/** Index into the round's prompts. */
	prompt: number;
	text: string;
	/** The goal the answer speaks to, if any. */
	goal: string | null;
	/** Null for an anonymous answer (and for a named one whose author field is unreadable). */
	createdBy: Contributor | null;
	createdAt: number;
	updatedAt: number;
	deletedAt: number | null;
}

/** One change of a goal's status, kept as history (schema 2); entries are never edited. */
export interface GoalProgress {
	id: string;
	goal: string;
	from: GoalStatus | null;
	to: GoalStatus;
	note: string;
	by: Contributor | null;
	at: number;
}

/** Community voices and campus voices (DESIGN.md); 'other' belongs to neither. */
export const AFFILIATION_GROUPS = ['community', 'campus'] as const;
export type AffiliationGroup = (typeof AFFILIATION_GROUPS)[number];

export function affiliationGroup(affiliation: Affiliation | null | undefined): AffiliationGroup | null {
	if (affiliation === 'community-member' || affiliation === 'community-organization') return 'community';
	if (affiliation === 'campus-staff' || affiliation === 'faculty' || affiliation === 'student') return 'campus';
	return null;
}

/** The fields a person fills in; the rest is stamped by mutations. */
export interface AssetFields {
	name: string;
	category: Category;
	description: string;
	holder: string;
	geometry: AssetGeometry;
	tags: string[];
}

export const LIMITS = {
	name: 200,
	title: 200,
	place: 200,
	holder: 200,
	description: 4000,
	tag: 40,
	tags: 20,
	vertices: 5000,
	prompt: 280,
	prompts: 6,
	answer: 2000,
	progressNote: 1000
} as const;

/** Awareness states come from peers, so they are parsed like any other network input. */
import { isAffiliation, isRecord, text } from '../doc/validate.ts';
import { ROLES, type Affiliation, type Role } from '../doc/model.ts';

export interface Peer {
	clientId: number;
	name: string;
	affiliation: Affiliation;
	role: Role;
	color: string;
	self: boolean;
	/** A facilitator's "Present my view": the view the present screen follows. Null otherwise. */
	presenting: PresentView | null;
}

/**
 * The `present` field of a facilitator's presence: the map view they are showing the room.
 * The server keeps it only in a facilitator's state, and only in this shape (RULES.md).
 */
export interface PresentView {
	center: [number, number];
	zoom: number;
	bearing: number;
	pitch: number;
}

const finite = (value: unknown, min: number, max: number): value is number => typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max;

/** A present view from the network, or null: every number finite and in range. */
export function parsePresentView(value: unknown): PresentView | null {
	if (!isRecord(value) || !Array.isArray(value.center) || value.center.length !== 2) return null;
	const [lng, lat] = value.center as unknown[];
	if (!finite(lng, -180, 180) || !finite(lat, -90, 90) || !finite(value.zoom, 0, 24)) return null;
	const bearing = value.bearing === undefined ? 0 : value.bearing;
	const pitch = value.pitch === undefined ? 0 : value.pitch;
	if (!finite(bearing, -360, 360) || !finite(pitch, 0, 85)) return null;
	return { center: [lng, lat], zoom: value.zoom, bearing, pitch };
}

/** The view the present screen follows: the first facilitator (by client id) presenting one. */
export function presentedView(peers: Peer[]): PresentView | null {
	const presenting = peers.filter((peer) => peer.role === 'facilitator' && peer.presenting !== null).sort((a, b) => a.clientId - b.clientId);
	return presenting[0]?.presenting ?? null;
}

const COLOR_PATTERN = /^#[0-9a-f]{6}$/i;

/** Presence colors: distinct, and dark enough for white initials on top. */
export const PRESENCE_COLORS = ['#0b5cad', '#8a3ffc', '#b0156f', '#0e7470', '#a3470b', '#3f6212', '#9f1239', '#4338ca'];

export function presenceColor(id: string): string {
	let hash = 0;
	for (const char of id) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
	return PRESENCE_COLORS[hash % PRESENCE_COLORS.length];
}

export function parsePeer(clientId: number, state: unknown, self: boolean): Peer | null {
	if (!isRecord(state) || !isRecord(state.user)) return null;
	const user = state.user;
	const role = (ROLES as readonly unknown[]).includes(user.role) ? (user.role as Role) : 'viewer';
	return {
		clientId,
		name: text(user.name, 80),
		affiliation: isAffiliation(user.affiliation) ? user.affiliation : 'other',
		role,
		color: typeof user.color === 'string' && COLOR_PATTERN.test(user.color) ? user.color : '#57606a',
		self,
		presenting: role === 'facilitator' ? parsePresentView(state.present) : null
	};
}

const graphemes = typeof Intl !== 'undefined' && 'Segmenter' in Intl ? new Intl.Segmenter(undefined, { granularity: 'grapheme' }) : null;
/** A word's letters, digits, emoji or symbols start with one of these; punctuation never. */
const WORD_START = /[\p{L}\p{N}\p{Extended_Pictographic}\p{So}]/u;

/** The first whole character of a word that is not punctuation: "é" with its accent, "👩🏽‍🌾" whole. */
function firstCharacter(word: string): string | null {
	const pieces = graphemes ? Array.from(graphemes.segment(word), (piece) => piece.segment) : Array.from(word);
	return pieces.find((piece) => WORD_START.test(piece)) ?? null;
}

/**
 * A presence avatar's initials: the first whole character of the first and the last word,
 * punctuation skipped ("(Maria) O'Brien" → "MO"), upper-cased where the script has case.
 * "·" when the name has nothing to show.
 */
export function initials(name: string): string {
	const firsts = name
		.trim()
		.split(/\s+/)
		.map(firstCharacter)
		.filter((char): char is string => char !== null);
	if (firsts.length === 0) return '·';
	const chosen = firsts.length > 1 ? [firsts[0], firsts[firsts.length - 1]] : [firsts[0]];
	// Upper case only where it stays one character ("ß" would become "SS").
	return chosen.map((char) => (char.toLocaleUpperCase().length === char.length ? char.toLocaleUpperCase() : char)).join('');
}

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
		self
	};
}

/** Plain assets, goals and links for selector tests. */
import { connectsLinkId, supportsLinkId } from '../../src/lib/doc/ids.ts';
import type { Affiliation, Asset, Goal, Link } from '../../src/lib/doc/model.ts';

export function asset(id: string, fields: Partial<Asset> = {}, affiliation: Affiliation | null = 'community-member'): Asset {
	return {
		id,
		name: id,
		category: 'places',
		description: '',
		holder: '',
		geometry: { type: 'Point', coordinates: [0, 0] },
		tags: [],
		createdBy: affiliation ? { id: `who-${affiliation}`, name: 'Someone', affiliation } : null,
		createdAt: 0,
		updatedBy: null,
		updatedAt: 0,
		hidden: false,
		deletedAt: null,
		...fields
	};
}

export function goal(id: string, fields: Partial<Goal> = {}): Goal {
	return {
		id,
		title: id,
		description: '',
		horizon: 'short',
		status: 'active',
		createdBy: null,
		createdAt: 0,
		updatedBy: null,
		updatedAt: 0,
		deletedAt: null,
		nextSteps: '',
		...fields
	};
}

export function supports(from: string, to: string, deletedAt: number | null = null): Link {
	return { id: supportsLinkId(from, to), kind: 'supports', from, to, note: '', createdBy: null, createdAt: 0, deletedAt };
}

export function connects(from: string, to: string): Link {
	return { id: connectsLinkId(from, to), kind: 'connects', from, to, note: '', createdBy: null, createdAt: 0, deletedAt: null };
}

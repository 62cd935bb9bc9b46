/**
 * Builds maps shaped like shared/DESIGN.md for benchmarks and size measurements.
 */
import * as Y from 'yjs';

const CATEGORIES = ['knowledge', 'skills', 'organizations', 'networks', 'institutions', 'places', 'economy', 'culture'];
const AFFILIATIONS = ['community-member', 'community-organization', 'campus-staff', 'faculty', 'student', 'other'];

function pseudoId(n: number): string {
	return `a${n.toString(36).padStart(15, '0')}`;
}

export function contributor(n: number) {
	return { id: `c${(n % 97).toString(36).padStart(15, '0')}`, name: `Partner ${n % 97}`, affiliation: AFFILIATIONS[n % AFFILIATIONS.length] };
}

export function assetFields(n: number, now = 1_700_000_000_000): Record<string, unknown> {
	const who = contributor(n);
	return {
		id: pseudoId(n),
		name: `Community garden ${n}`,
		category: CATEGORIES[n % CATEGORIES.length],
		// ~80 characters, like a one-line note typed on a phone.
		description: `Volunteers meet here on Saturdays to share seeds, tools and recipes (#${n}).`.padEnd(80, '.'),
		holder: `Neighborhood association ${n % 50}`,
		geometry: { type: 'Point', coordinates: [-71.1 + (n % 100) * 0.001, 42.35 + Math.floor(n / 100) * 0.001] },
		tags: ['food', 'outdoors'],
		createdBy: who,
		createdAt: now + n,
		updatedBy: who,
		updatedAt: now + n
	};
}

export function addAssetTo(doc: Y.Doc, n: number): void {
	const entity = new Y.Map<unknown>();
	const fields = assetFields(n);
	for (const [key, value] of Object.entries(fields)) entity.set(key, value);
	doc.getMap('assets').set(String(fields.id), entity);
}

export function buildMapDoc(assetCount: number): Y.Doc {
	const doc = new Y.Doc();
	doc.transact(() => {
		const meta = doc.getMap('meta');
		meta.set('title', 'Benchmark map');
		meta.set('schemaVersion', 1);
		for (let n = 0; n < assetCount; n++) addAssetTo(doc, n);
	});
	return doc;
}

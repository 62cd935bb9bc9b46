/**
 * How a snapshot is cited: APA 7 style and a plain form. The author is the partnership,
 * named by the affiliation groups that contributed (never people's names); the hash's
 * first 12 hex characters let a reader check the file they download is the one cited.
 */
import { cleanDisplayName } from '../doc/names.ts';
import { affiliationGroup, type Affiliation } from '../doc/model.ts';

export interface CitationInput {
	title: string;
	place: string;
	takenAt: number;
	/** The snapshot's public address (/s/<id>). */
	url: string;
	/** Hex SHA-256 of the snapshot's GeoJSON bytes. */
	sha256: string;
	/** Contributors per affiliation (counts only). */
	contributors: Partial<Record<Affiliation, number>>;
}

export interface Citation {
	apa: string;
	plain: string;
}

export const SNAPSHOT_KIND = 'Community asset map snapshot';
export const PUBLISHER = 'Asset Atlas';
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

/** "Community and campus partners", "Community partners", "Campus partners", or "Map contributors". */
export function citationAuthor(contributors: Partial<Record<Affiliation, number>>): string {
	const groups = new Set<string>();
	for (const [affiliation, count] of Object.entries(contributors) as Array<[Affiliation, number | undefined]>) {
		const group = (count ?? 0) > 0 ? affiliationGroup(affiliation) : null;
		if (group) groups.add(group);
	}
	if (groups.has('community') && groups.has('campus')) return 'Community and campus partners';
	if (groups.has('community')) return 'Community partners';
	if (groups.has('campus')) return 'Campus partners';
	return 'Map contributors';
}

/** The first 12 hex characters of the hash: enough to tell two snapshots apart in print. */
export function shortHash(sha256: string): string {
	return sha256.slice(0, 12).toLowerCase();
}

export function citation(input: CitationInput): Citation {
	const date = new Date(input.takenAt);
	const year = date.getUTCFullYear();
	const month = MONTHS[date.getUTCMonth()];
	const day = date.getUTCDate();
	const author = citationAuthor(input.contributors);
	// A citation is pasted into other documents: no reversed text or invisible characters.
	const title = cleanDisplayName(input.title, 500) || 'Untitled map';
	const place = cleanDisplayName(input.place, 500);
	const hash = shortHash(input.sha256);
	return {
		apa: `${author}. (${year}, ${month} ${day}). ${title} [${SNAPSHOT_KIND}]. ${PUBLISHER}. ${input.url} (SHA-256: ${hash})`,
		plain: `${author}, ${title}${place ? `, ${place}` : ''} [${SNAPSHOT_KIND}], ${day} ${month} ${year}. ${input.url} (SHA-256: ${hash})`
	};
}

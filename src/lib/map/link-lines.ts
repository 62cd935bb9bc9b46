/**
 * The map's network lines: one straight line per `connects` link, between the anchors of
 * its two assets. Built from the link index (coverage.ts), which already leaves out links
 * to deleted, missing or (for this reader) hidden assets; this also leaves out links to
 * assets the page's filter does not show. Pure, so it is tested without a map.
 */
import type { LinkIndex } from '../doc/coverage.ts';
import { connectsLinkId } from '../doc/ids.ts';
import type { Link } from '../doc/model.ts';
import { assetAnchor } from '../doc/selectors.ts';
import { unwrapLongitude } from '../doc/geometry.ts';
export { unwrapLongitude };

export interface LinkLine {
	/** The link's derived id, `connects:<a>:<b>` with a < b. */
	id: string;
	/** Anchor of the first asset (ids sorted), [lng, lat]. */
	from: [number, number];
	/**
	 * Anchor of the second asset, its longitude unwrapped against `from` (it may lie beyond
	 * ±180°) so the line takes the short way across the antimeridian.
	 */
	to: [number, number];
	note: string;
	/** The two asset ids, sorted: what a highlight is matched against. */
	assets?: [string, string];
}


/**
 * One line per connection between two visible assets that are both shown (`shown` null:
 * every visible asset), ordered by link id. Notes are read from `links` when given (the
 * index keeps only who connects to whom); otherwise they are empty.
 */
export function linkLines(
	index: LinkIndex,
	shown: ReadonlySet<string> | null,
	links?: Iterable<Pick<Link, 'id' | 'kind' | 'note' | 'deletedAt'>>
): LinkLine[] {
	const notes = new Map<string, string>();
	for (const link of links ?? []) if (link.kind === 'connects' && link.deletedAt === null) notes.set(link.id, link.note);
	const isShown = (id: string) => index.assets.has(id) && (shown === null || shown.has(id));
	const out: LinkLine[] = [];
	for (const [a, others] of index.connections) {
		if (!isShown(a)) continue;
		for (const b of others) {
			// Each connection is listed both ways; take it once, from the smaller id.
			if (!(a < b) || !isShown(b)) continue;
			const from = finite(assetAnchor(index.assets.get(a)!));
			const to = finite(assetAnchor(index.assets.get(b)!));
			if (!from || !to) continue;
			const id = connectsLinkId(a, b);
			out.push({ id, from, to: [unwrapLongitude(to[0], from[0]), to[1]], note: notes.get(id) ?? '', assets: [a, b] });
		}
	}
	return out.sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

function finite(position: [number, number]): [number, number] | null {
	return Number.isFinite(position[0]) && Number.isFinite(position[1]) ? [position[0], position[1]] : null;
}

/** The two asset ids of a line: its own `assets`, or read back from its derived id. */
export function lineAssets(line: Pick<LinkLine, 'id' | 'assets'>): [string, string] | null {
	if (line.assets) return line.assets;
	const parts = line.id.split(':');
	return parts.length === 3 && parts[0] === 'connects' ? [parts[1], parts[2]] : null;
}

/**
 * How a line is drawn under a highlight: `normal` without one; `strong` when both its
 * assets are highlighted; `dim` otherwise.
 */
export function lineEmphasis(line: Pick<LinkLine, 'id' | 'assets'>, highlight: ReadonlySet<string> | null): 'normal' | 'strong' | 'dim' {
	if (highlight === null) return 'normal';
	const ends = lineAssets(line);
	return ends && highlight.has(ends[0]) && highlight.has(ends[1]) ? 'strong' : 'dim';
}

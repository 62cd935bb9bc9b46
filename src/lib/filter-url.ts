/**
 * The map's filter in the page's address, for the page to read on load and to write back
 * (with `replaceState`) as the filter changes, so a filtered map can be shared.
 *
 * Only the filter's own parameters (filters.ts: goal, category, tag, affiliation, q) are
 * touched: every other parameter keeps its exact text and order, and the fragment — which
 * holds the map's key (`#key=…`) — is never read for the filter nor changed.
 */
import { filterFromParams, filterToParams, type AtlasFilter } from './doc/filters.ts';

/** The query parameters the filter owns (filters.ts writes only these). */
export const FILTER_PARAMS = ['goal', 'category', 'tag', 'affiliation', 'q'] as const;

const OWNED = new Set<string>(FILTER_PARAMS);

function keyOf(pair: string): string {
	const raw = pair.split('=', 1)[0].replace(/\+/g, ' ');
	try {
		return decodeURIComponent(raw);
	} catch {
		return raw;
	}
}

/**
 * The filter an address asks for. Unknown categories and affiliations, malformed goal ids
 * and over-long tags are dropped (filters.ts); the fragment is ignored.
 */
export function filterFromUrl(url: URL): AtlasFilter {
	return filterFromParams(url.searchParams);
}

/**
 * The same address with `filter` in its query: the filter's parameters replaced, every
 * other parameter kept byte for byte, the path and the fragment untouched.
 */
export function urlWithFilter(url: URL, filter: AtlasFilter): URL {
	const next = new URL(url.href);
	const kept = url.search
		.replace(/^\?/, '')
		.split('&')
		.filter((pair) => pair !== '' && !OWNED.has(keyOf(pair)));
	const own = filterToParams(filter).toString();
	const search = [...kept, ...(own ? [own] : [])].join('&');
	next.search = search ? `?${search}` : '';
	return next;
}

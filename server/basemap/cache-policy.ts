/**
 * How long a response from the upstream may be served without asking again, read from its
 * headers as a shared cache must (RFC 9111): `private` and `no-store` are not stored,
 * `s-maxage` beats `max-age`, which beats `Expires`; `no-cache` stores but revalidates.
 */

export const DEFAULT_FRESH_MS = 24 * 60 * 60 * 1000;
/** A busy workshop should not ask the upstream again for a tile it got a minute ago. */
const MIN_FRESH_MS = 60 * 1000;
const MAX_FRESH_MS = 365 * 24 * 60 * 60 * 1000;

export interface Freshness {
	store: boolean;
	/** ms after the response was received that it stays fresh. */
	freshForMs: number;
}

type HeaderGetter = { get(name: string): string | null };

function directives(header: string | null): Map<string, string | true> {
	const out = new Map<string, string | true>();
	for (const part of (header ?? '').split(',')) {
		const [name, value] = part.trim().split('=', 2);
		if (name) out.set(name.toLowerCase(), value === undefined ? true : value.replace(/^"|"$/g, ''));
	}
	return out;
}

function seconds(value: string | true | undefined): number | null {
	if (typeof value !== 'string' || !/^\d+$/.test(value)) return null;
	return Number(value) * 1000;
}

export function freshnessOf(headers: HeaderGetter, now = Date.now()): Freshness {
	const cc = directives(headers.get('cache-control'));
	if (cc.has('no-store') || cc.has('private')) return { store: false, freshForMs: 0 };
	if (cc.has('no-cache')) return { store: true, freshForMs: 0 };
	const explicit = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
	let fresh: number | null = explicit;
	if (fresh === null) {
		const expires = Date.parse(headers.get('expires') ?? '');
		const date = Date.parse(headers.get('date') ?? '') || now;
		if (Number.isFinite(expires)) fresh = Math.max(0, expires - date);
	}
	if (fresh === null) fresh = DEFAULT_FRESH_MS;
	return { store: true, freshForMs: Math.min(MAX_FRESH_MS, Math.max(fresh, explicit === 0 ? 0 : MIN_FRESH_MS)) };
}

import { describe, expect, it } from 'vitest';
import { emptyFilter, filterToParams, type AtlasFilter } from '../../src/lib/doc/filters.ts';
import { FILTER_PARAMS, filterFromUrl, urlWithFilter } from '../../src/lib/filter-url.ts';

const GOAL = 'AbCdEfGh12345678';
const KEY = '#key=Zm9vYmFyYmF6cXV4cXV1eA';
const filter = (parts: Partial<AtlasFilter>): AtlasFilter => ({ ...emptyFilter(), ...parts });

describe('the filter in the address', () => {
	it('reads every kind, repeated or comma-separated', () => {
		const read = filterFromUrl(new URL(`https://atlas.example/m/abc?goal=${GOAL}&category=places,economy&tag=food&tag=Café&affiliation=campus&affiliation=faculty&q=tool+library${KEY}`));
		expect(read.query).toBe('tool library');
		expect([...read.categories].sort()).toEqual(['economy', 'places']);
		expect([...read.goals]).toEqual([GOAL]);
		expect([...read.tags]).toEqual(['food', 'Café']);
		expect([...read.affiliations].sort()).toEqual(['campus', 'faculty']);
	});

	it('drops values it does not know', () => {
		const read = filterFromUrl(new URL('https://atlas.example/m/abc?category=places&category=deficits&affiliation=mayor&affiliation=community&goal=../../x&goal=%3Cscript%3E&tag=' + 'x'.repeat(41)));
		expect([...read.categories]).toEqual(['places']);
		expect([...read.affiliations]).toEqual(['community']);
		expect(read.goals.size).toBe(0);
		expect([...read.tags]).toEqual(['x'.repeat(40)]);
	});

	it('never reads the fragment, which holds the key', () => {
		const read = filterFromUrl(new URL('https://atlas.example/m/abc#key=secret&q=garden&category=places'));
		expect(read).toEqual(emptyFilter());
	});

	it('writes the filter and keeps the path, the other parameters and the key fragment exactly', () => {
		const url = new URL(`https://atlas.example/m/abc?view=list&odd=a%20b&q=old&category=culture${KEY}`);
		const next = urlWithFilter(url, filter({ query: ' garden ', categories: new Set(['places', 'economy']), goals: new Set([GOAL]), tags: new Set(['food']) }));
		expect(next.pathname).toBe('/m/abc');
		expect(next.hash).toBe(KEY);
		expect(next.search).toBe(`?view=list&odd=a%20b&goal=${GOAL}&category=economy&category=places&tag=food&q=garden`);
		expect(url.href).toContain('q=old'); // the given URL is not changed
		expect(filterFromUrl(next)).toEqual(filter({ query: 'garden', categories: new Set(['economy', 'places']), goals: new Set([GOAL]), tags: new Set(['food']) }));
	});

	it('an empty filter leaves no filter parameters, and no bare "?"', () => {
		expect(urlWithFilter(new URL(`https://atlas.example/m/abc?q=x&tag=y${KEY}`), emptyFilter()).href).toBe(`https://atlas.example/m/abc${KEY}`);
		expect(urlWithFilter(new URL(`https://atlas.example/m/abc?view=list&q=x${KEY}`), emptyFilter()).href).toBe(`https://atlas.example/m/abc?view=list${KEY}`);
		expect(urlWithFilter(new URL('https://atlas.example/m/abc'), emptyFilter()).href).toBe('https://atlas.example/m/abc');
	});

	it('replaces encoded or repeated filter keys too', () => {
		const next = urlWithFilter(new URL(`https://atlas.example/m/abc?%71=old&tag=a&tag=b${KEY}`), filter({ affiliations: new Set(['community']) }));
		expect(next.search).toBe('?affiliation=community');
		expect(next.hash).toBe(KEY);
	});

	it('round-trips text that needs escaping, and owns exactly the parameters filters.ts writes', () => {
		const tricky = filter({ query: 'a&b=c #d ?é', tags: new Set(['one two']) });
		const next = urlWithFilter(new URL(`https://atlas.example/m/abc${KEY}`), tricky);
		expect(next.hash).toBe(KEY);
		expect(filterFromUrl(next)).toEqual(tricky);
		const all = filter({ query: 'q', categories: new Set(['places']), goals: new Set([GOAL]), affiliations: new Set(['student']), tags: new Set(['t']) });
		expect([...new Set(filterToParams(all).keys())].sort()).toEqual([...FILTER_PARAMS].sort());
	});
});

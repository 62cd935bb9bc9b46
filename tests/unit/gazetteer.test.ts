import { beforeAll, describe, expect, it } from 'vitest';
import { Gazetteer, loadGazetteer, normalizeName, parseQuery, PlaceQueryError, type CityRecord } from '../../server/places/gazetteer.ts';

const city = (name: string, population: number, extra: Partial<CityRecord> = {}): CityRecord => ({
	name,
	country: 'US',
	admin: 'XX',
	featureCode: 'PPL',
	population,
	lon: 0,
	lat: 0,
	...extra
});

describe('normalizeName', () => {
	it('folds case, accents and punctuation', () => {
		expect(normalizeName('São Paulo')).toBe('sao paulo');
		expect(normalizeName('  SAINT-ÉTIENNE!! ')).toBe('saint etienne');
		expect(normalizeName('Straße')).toBe('strasse');
		expect(normalizeName('Łódź')).toBe('lodz');
		expect(normalizeName("Coeur d'Alene")).toBe('coeur dalene');
		expect(normalizeName('Zürich (Kreis 3)')).toBe('zurich kreis 3');
	});
});

describe('parseQuery', () => {
	it('refuses empty, too short and too long text', () => {
		for (const raw of [undefined, 42, '', '   ', 'a', ' b ', 'x'.repeat(81)]) expect(() => parseQuery(raw)).toThrow(PlaceQueryError);
		expect(parseQuery('x'.repeat(80)).text).toHaveLength(80);
	});

	it('splits a qualifier after a comma', () => {
		expect(parseQuery('Springfield, MA')).toEqual({ text: 'springfield', qualifier: 'ma', rest: 'MA' });
		expect(parseQuery('Kensington,  Philadelphia, PA ')).toEqual({ text: 'kensington', qualifier: 'philadelphia pa', rest: 'Philadelphia, PA' });
	});
});

describe('ranking (a small gazetteer)', () => {
	let gazetteer: Gazetteer;
	beforeAll(async () => {
		gazetteer = await Gazetteer.build([
			city('Springfield', 1_000, { admin: 'NH' }),
			city('Springfield', 166_810, { admin: 'MO' }),
			city('West Springfield', 500_000, { admin: 'MA' }),
			city('Springfield Gardens', 900_000),
			city('Springfield', 154_341, { admin: 'MA' }),
			city('Rio de Janeiro', 6_000_000, { country: 'BR', admin: '21' }),
			city('Rio Claro', 200_000, { country: 'BR' }),
			// A neighbourhood 5 km from Springfield, Missouri, and a namesake far away.
			city('Rountree', 2_000, { admin: 'MO', featureCode: 'PPLX', lon: 0.04, lat: 0.03 }),
			city('Rountree', 50_000, { admin: 'TX', lon: 10, lat: 10 })
		]);
	});

	it('puts exact names first, then names that start so, then later words; populous first within each', () => {
		const names = gazetteer.search('springfield').map((place) => `${place.name} ${place.admin}`);
		expect(names).toEqual(['Springfield MO', 'Springfield MA', 'Springfield NH', 'Springfield Gardens XX', 'West Springfield MA']);
	});

	it('matches a prefix of any word', () => {
		expect(gazetteer.search('jan').map((place) => place.name)).toEqual(['Rio de Janeiro']);
		expect(gazetteer.search('rio').map((place) => place.name)).toEqual(['Rio de Janeiro', 'Rio Claro']);
	});

	it('honours the limit and a qualifier', () => {
		expect(gazetteer.search('spr', 2)).toHaveLength(2);
		expect(gazetteer.search('springfield, ma').map((place) => place.name)).toEqual(['Springfield', 'West Springfield']);
	});

	it('takes a US state by its name', () => {
		expect(gazetteer.search('springfield, massachusetts').map((place) => `${place.name} ${place.admin}`)).toEqual(['Springfield MA', 'West Springfield MA']);
		expect(gazetteer.lookup('Springfield, Missouri')?.admin).toBe('MO');
	});

	it('after a comma, a town: that town\'s neighbourhood of the name, else the town itself', () => {
		expect(gazetteer.search('Rountree, Springfield').map((place) => `${place.name} ${place.admin}`)).toEqual(['Rountree MO']);
		expect(gazetteer.lookup('Rountree, Springfield')?.population).toBe(2_000);
		// Not listed near it: the town, so the map still opens on the right city.
		expect(gazetteer.search('Eastside, Springfield, MA').map((place) => `${place.name} ${place.admin}`)).toEqual(['Springfield MA']);
		expect(gazetteer.lookup('Eastside, Springfield')?.admin).toBe('MO');
		// Neither a region nor a town: nothing, as before.
		expect(gazetteer.search('springfield, atlantis')).toEqual([]);
		expect(gazetteer.lookup('Eastside, Atlantis')).toBeNull();
	});

	it('looks up only exact names', () => {
		expect(gazetteer.lookup('springfield')?.admin).toBe('MO');
		expect(gazetteer.lookup('Springfield, MA')?.population).toBe(154_341);
		expect(gazetteer.lookup('Spring')).toBeNull();
		expect(gazetteer.lookup('')).toBeNull();
	});
});

describe('the shipped GeoNames data', () => {
	let gazetteer: Gazetteer;
	beforeAll(async () => {
		gazetteer = (await loadGazetteer()).gazetteer;
	}, 60_000);

	it('has the cities, with coordinates and population', () => {
		expect(gazetteer.size).toBeGreaterThan(100_000);
		const [paris] = gazetteer.search('paris');
		expect(paris).toMatchObject({ name: 'Paris', country: 'FR' });
		expect(paris.lon).toBeCloseTo(2.35, 1);
		expect(paris.lat).toBeCloseTo(48.85, 1);
		expect(paris.population).toBeGreaterThan(1_000_000);
	});

	it('finds São Paulo typed without accents, and the populous Springfields first', () => {
		expect(gazetteer.search('sao paulo')[0]).toMatchObject({ name: 'São Paulo', country: 'BR' });
		expect(gazetteer.search('SAO-PAULO')[0].name).toBe('São Paulo');
		const springfields = gazetteer.search('springfield');
		expect(springfields.slice(0, 3).map((place) => place.admin)).toEqual(['MO', 'MA', 'IL']);
	});

	it('opens a neighbourhood typed with its city on that city, and takes a state by name', () => {
		const [kensington] = gazetteer.search('Kensington, Philadelphia');
		expect(kensington.admin).toBe('PA');
		expect(kensington.lon).toBeCloseTo(-75.16, 0);
		expect(kensington.lat).toBeCloseTo(39.95, 0);
		expect(gazetteer.lookup('Kensington, Philadelphia')?.admin).toBe('PA');
		expect(gazetteer.search('Springfield, Illinois')[0]).toMatchObject({ name: 'Springfield', admin: 'IL' });
	});
});

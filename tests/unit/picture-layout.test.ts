import { describe, expect, it } from 'vitest';
import { legendEntries, metresPerPixel, scaleBar } from '../../src/lib/export/picture-layout.ts';
import { CATEGORY_STYLES, UNKNOWN_CATEGORY_STYLE } from '../../src/lib/doc/categories.ts';

describe('scale bar', () => {
	it('covers 156 km per pixel at zoom 0 on the equator (a 512 px world)', () => {
		expect(metresPerPixel(0, 0)).toBeCloseTo(40_075_016.686 / 512, 3);
		expect(metresPerPixel(60, 0)).toBeCloseTo(40_075_016.686 / 512 / 2, 3);
	});

	it('picks the longest 1-2-5 distance that fits, and says it in m or km', () => {
		// Zoom 15 at 40°N: 1.83 m per pixel; 160 px hold 293 m, so 200 m.
		const bar = scaleBar(40, 15, 160)!;
		expect(bar.metres).toBe(200);
		expect(bar.label).toBe('200 m');
		expect(bar.px).toBeCloseTo(200 / metresPerPixel(40, 15), 6);
		expect(bar.px).toBeLessThanOrEqual(160);
		expect(bar.px).toBeGreaterThan(160 / 2.5);
		// 76 m per pixel: 11.5 km fit; 9.8 km per pixel: 1,468 km fit; 0.093 m per pixel: 9.3 m fit.
		expect(scaleBar(0, 10, 150)!.label).toBe('10 km');
		expect(scaleBar(0, 3, 150)!.label).toBe('1,000 km');
		expect(scaleBar(51.5, 19, 100)!.label).toBe('5 m');
	});

	it('gives nothing for no room', () => {
		expect(scaleBar(10, 10, 0)).toBeNull();
	});
});

describe('legend', () => {
	it('lists categories with assets in catalogue order, others last as one entry, with their colours', () => {
		expect(legendEntries({ places: 2, knowledge: 1, culture: 0, made_up: 3, older: 1 })).toEqual([
			{ category: 'knowledge', color: CATEGORY_STYLES.knowledge.color, count: 1 },
			{ category: 'places', color: CATEGORY_STYLES.places.color, count: 2 },
			{ category: 'unknown', color: UNKNOWN_CATEGORY_STYLE.color, count: 4 }
		]);
		expect(legendEntries({})).toEqual([]);
	});
});

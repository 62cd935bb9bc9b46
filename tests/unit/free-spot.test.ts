import { describe, expect, it } from 'vitest';
import { freeSpot, MIN_GAP_PX, type Px } from '../../src/routes/m/[id]/free-spot.ts';

const apart = (a: Px, b: Px) => Math.hypot(a[0] - b[0], a[1] - b[1]);

describe('freeSpot: where "Place here" puts a new asset', () => {
	it('is the centre when no marker is near it', () => {
		expect(freeSpot([200, 300], [])).toEqual([200, 300]);
		expect(freeSpot([200, 300], [[200 + MIN_GAP_PX, 300], [0, 0]])).toEqual([200, 300]);
	});

	it('moves off a marker on the centre: first just above it', () => {
		const spot = freeSpot([200, 300], [[200, 300]]);
		expect(spot[0]).toBeCloseTo(200);
		expect(spot[1]).toBeCloseTo(300 - MIN_GAP_PX);
	});

	it('ten phones placing in turn without moving the map get ten spots, none on another, all close to the centre', () => {
		const placed: Px[] = [];
		for (let i = 0; i < 10; i++) placed.push(freeSpot([200, 300], placed));
		for (const [i, a] of placed.entries()) {
			for (const b of placed.slice(i + 1)) expect(apart(a, b)).toBeGreaterThanOrEqual(MIN_GAP_PX - 1e-9);
			expect(apart(a, [200, 300])).toBeLessThanOrEqual(2 * MIN_GAP_PX + 1e-9);
		}
	});

	it('stays on the centre when every ring is taken', () => {
		const crowd: Px[] = [];
		for (let x = -250; x <= 250; x += 10) for (let y = -250; y <= 250; y += 10) crowd.push([200 + x, 300 + y]);
		expect(freeSpot([200, 300], crowd)).toEqual([200, 300]);
	});
});

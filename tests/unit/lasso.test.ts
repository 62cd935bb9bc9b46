import { describe, expect, it } from 'vitest';
import { ringOnWorld, simplifyRing, type Point } from '../../src/lib/map/lasso.ts';

function circle(n: number, radius = 100): Point[] {
	return Array.from({ length: n }, (_, i) => [radius * Math.cos((2 * Math.PI * i) / n), radius * Math.sin((2 * Math.PI * i) / n)] as Point);
}

describe('lasso stroke', () => {
	it('closes a stroke and keeps its corners', () => {
		const ring = simplifyRing([[0, 0], [10, 0], [10, 10], [0, 10]])!;
		expect(ring).toEqual([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]);
	});

	it('drops points on a straight run and repeated points', () => {
		const ring = simplifyRing([[0, 0], [5, 0], [5, 0], [10, 0], [10, 10], [0, 10], [0, 0]])!;
		expect(ring).toEqual([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]]);
	});

	it('thins a long freehand stroke to at most the allowed corners, closed', () => {
		for (const max of [200, 20, 3]) {
			const ring = simplifyRing(circle(5000, 1000), max)!;
			expect(ring.length - 1).toBeLessThanOrEqual(max);
			expect(ring.length - 1).toBeGreaterThanOrEqual(3);
			expect(ring[0]).toEqual(ring[ring.length - 1]);
		}
		// A small circle drawn in pixels keeps its roundness: well over a handful of corners.
		expect(simplifyRing(circle(400, 100))!.length).toBeGreaterThan(12);
	});

	it('is null when it encloses nothing', () => {
		expect(simplifyRing([])).toBeNull();
		expect(simplifyRing([[0, 0], [1, 1], [0, 0]])).toBeNull();
		expect(simplifyRing([[0, 0], [0, 0], [0, 0], [0, 0]])).toBeNull();
		expect(simplifyRing([[0, 0], [1, 1], [Number.NaN, 2]])).toBeNull();
	});

	it('comes back onto the stored world from a copy east or west of it', () => {
		expect(ringOnWorld([[370, 0], [371, 0], [371, 1], [370, 0]])).toEqual([[10, 0], [11, 0], [11, 1], [10, 0]]);
		expect(ringOnWorld([[-350, 0], [-349, 1], [-350, 1], [-350, 0]])).toEqual([[10, 0], [11, 1], [10, 1], [10, 0]]);
		// Across the antimeridian it stays in one piece.
		expect(ringOnWorld([[178, 0], [182, 0], [182, 2], [178, 0]])).toEqual([[178, 0], [182, 0], [182, 2], [178, 0]]);
		expect(ringOnWorld([[10, 0], [11, 0], [11, 1], [10, 0]])).toEqual([[10, 0], [11, 0], [11, 1], [10, 0]]);
	});
});

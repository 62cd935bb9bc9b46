import { describe, expect, it } from 'vitest';
import { BROWSING, draftVertices, onMap, tapEffect, transition, type EditEvent, type EditMode } from '../../src/routes/m/[id]/edit-mode.ts';

const run = (mode: EditMode, ...events: EditEvent[]) => events.reduce(transition, mode);

describe('edit-mode machine', () => {
	it('places a point: add, then a tap or "Place here", then the form, then browsing', () => {
		const placing = run(BROWSING, { type: 'add' });
		expect(placing).toEqual({ kind: 'placing' });
		expect(run(placing, { type: 'tap', at: [1, 2] })).toEqual({ kind: 'adding', geometry: { type: 'Point', coordinates: [1, 2] } });
		expect(run(placing, { type: 'place', at: [3, 4] })).toEqual({ kind: 'adding', geometry: { type: 'Point', coordinates: [3, 4] } });
		expect(run(placing, { type: 'place', at: [3, 4] }, { type: 'saved' })).toEqual(BROWSING);
		expect(run(placing, { type: 'place', at: [3, 4] }, { type: 'cancel' })).toEqual(BROWSING);
	});

	it('draws an area corner by corner, with undo, and finishes only with three corners, closing the ring', () => {
		let mode = run(BROWSING, { type: 'add' }, { type: 'draw' }, { type: 'tap', at: [0, 0] }, { type: 'corner', at: [1, 0] });
		expect(draftVertices(mode)).toEqual([
			[0, 0],
			[1, 0]
		]);
		expect(transition(mode, { type: 'finish' })).toBe(mode);
		mode = run(mode, { type: 'corner', at: [9, 9] }, { type: 'undoCorner' }, { type: 'tap', at: [1, 1] });
		expect(run(mode, { type: 'finish' })).toEqual({
			kind: 'adding',
			geometry: { type: 'Polygon', coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] }
		});
		expect(run({ kind: 'drawing', vertices: [] }, { type: 'undoCorner' })).toEqual({ kind: 'drawing', vertices: [] });
	});

	it('moves and edits from browsing only, and leaves them when the asset is gone', () => {
		const moving = run(BROWSING, { type: 'move', id: 'a' });
		expect(moving).toEqual({ kind: 'moving', id: 'a' });
		expect(run(moving, { type: 'tap', at: [5, 5] })).toBe(moving);
		expect(run(moving, { type: 'gone', id: 'b' })).toBe(moving);
		expect(run(moving, { type: 'gone', id: 'a' })).toEqual(BROWSING);
		expect(run(moving, { type: 'done' })).toEqual(BROWSING);
		const editing = run(BROWSING, { type: 'edit', id: 'a' });
		expect(run(editing, { type: 'saved' })).toEqual(BROWSING);
		expect(run(editing, { type: 'gone', id: 'a' })).toEqual(BROWSING);
		expect(run({ kind: 'placing' }, { type: 'move', id: 'a' })).toEqual({ kind: 'placing' });
		expect(run(editing, { type: 'add' })).toBe(editing);
	});

	it('Escape leaves the map modes; the forms are dialogs that cancel themselves', () => {
		for (const mode of [{ kind: 'placing' }, { kind: 'drawing', vertices: [[0, 0]] }, { kind: 'moving', id: 'a' }] as EditMode[]) {
			expect(onMap(mode)).toBe(true);
			expect(transition(mode, { type: 'escape' })).toEqual(BROWSING);
		}
		const adding: EditMode = { kind: 'adding', geometry: { type: 'Point', coordinates: [0, 0] } };
		expect(transition(adding, { type: 'escape' })).toBe(adding);
		expect(onMap(adding)).toBe(false);
		expect(onMap(BROWSING)).toBe(false);
	});

	it('a tap selects only while browsing; in every other mode it is the mode’s own', () => {
		expect(tapEffect(BROWSING, [0, 0])).toEqual({ kind: 'select' });
		expect(tapEffect({ kind: 'placing' }, [0, 0])).toEqual({ kind: 'none' });
		expect(tapEffect({ kind: 'drawing', vertices: [] }, [0, 0])).toEqual({ kind: 'none' });
		expect(tapEffect({ kind: 'moving', id: 'a' }, [1, 2])).toEqual({ kind: 'move', id: 'a', to: [1, 2] });
		expect(tapEffect({ kind: 'editing', id: 'a' }, [1, 2])).toEqual({ kind: 'none' });
	});

	it('reopens a draft kept on this device, from browsing only', () => {
		const to = { kind: 'drawing' as const, vertices: [[0, 0], [1, 1]] as Array<[number, number]> };
		expect(transition(BROWSING, { type: 'resume', to })).toBe(to);
		expect(transition({ kind: 'placing' }, { type: 'resume', to })).toEqual({ kind: 'placing' });
	});

	it('ignores events that do not apply', () => {
		expect(transition(BROWSING, { type: 'finish' })).toBe(BROWSING);
		expect(transition(BROWSING, { type: 'tap', at: [0, 0] })).toBe(BROWSING);
		expect(transition(BROWSING, { type: 'saved' })).toBe(BROWSING);
		expect(transition(BROWSING, { type: 'done' })).toBe(BROWSING);
	});
});

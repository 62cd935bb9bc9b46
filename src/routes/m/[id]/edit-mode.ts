/**
 * What a tap, a click or a button on the map page means right now: the page's edit modes as
 * a pure state machine. The page keeps one `EditMode`, sends it events, and performs the
 * effect `tapEffect` names (moving an asset is a mutation, so the page does it).
 *
 *   browsing ──add──▶ placing ──place / tap──▶ adding (the new-asset form) ──saved / cancel──▶ browsing
 *                        │ draw
 *                        ▼
 *                     drawing ──corner / tap, undoCorner──▶ drawing ──finish (3+ corners)──▶ adding
 *   browsing ──move──▶ moving (tap: move the asset there) ──done──▶ browsing
 *   browsing ──edit──▶ editing (the edit form) ──saved / cancel──▶ browsing
 *
 * `resume` reopens a draft kept on this device (from browsing only).
 * `cancel` and `escape` leave any mode for browsing; `gone` does when the asset being moved or
 * edited disappears (deleted or hidden by someone else). Events that do not apply to the
 * current mode leave it as it is.
 */
import type { AssetGeometry } from '$lib/doc/model.ts';

export type LngLat = [number, number];

export type EditMode =
	| { kind: 'browsing' }
	| { kind: 'placing' }
	| { kind: 'drawing'; vertices: LngLat[] }
	| { kind: 'moving'; id: string }
	| { kind: 'adding'; geometry: AssetGeometry }
	| { kind: 'editing'; id: string };

export type EditEvent =
	| { type: 'add' }
	| { type: 'place'; at: LngLat }
	| { type: 'draw' }
	| { type: 'corner'; at: LngLat }
	| { type: 'undoCorner' }
	| { type: 'finish' }
	| { type: 'move'; id: string }
	| { type: 'edit'; id: string }
	| { type: 'tap'; at: LngLat }
	| { type: 'done' }
	| { type: 'saved' }
	| { type: 'cancel' }
	| { type: 'escape' }
	| { type: 'gone'; id: string }
	/** Work kept on this device (a draft) opened again: a new asset's form, an edit, an area. */
	| { type: 'resume'; to: Extract<EditMode, { kind: 'adding' | 'editing' | 'drawing' }> };

export const BROWSING: EditMode = { kind: 'browsing' };

/** Fewest corners of an area. */
export const MIN_AREA_CORNERS = 3;

export function transition(mode: EditMode, event: EditEvent): EditMode {
	switch (event.type) {
		case 'add':
			return mode.kind === 'browsing' ? { kind: 'placing' } : mode;
		case 'place':
			return mode.kind === 'placing' ? { kind: 'adding', geometry: { type: 'Point', coordinates: event.at } } : mode;
		case 'draw':
			return mode.kind === 'placing' ? { kind: 'drawing', vertices: [] } : mode;
		case 'corner':
			return mode.kind === 'drawing' ? { kind: 'drawing', vertices: [...mode.vertices, event.at] } : mode;
		case 'undoCorner':
			return mode.kind === 'drawing' ? { kind: 'drawing', vertices: mode.vertices.slice(0, -1) } : mode;
		case 'finish':
			if (mode.kind !== 'drawing' || mode.vertices.length < MIN_AREA_CORNERS) return mode;
			return { kind: 'adding', geometry: { type: 'Polygon', coordinates: [[...mode.vertices, mode.vertices[0]]] } };
		case 'move':
			return mode.kind === 'browsing' ? { kind: 'moving', id: event.id } : mode;
		case 'edit':
			return mode.kind === 'browsing' ? { kind: 'editing', id: event.id } : mode;
		case 'tap':
			if (mode.kind === 'placing') return transition(mode, { type: 'place', at: event.at });
			if (mode.kind === 'drawing') return transition(mode, { type: 'corner', at: event.at });
			return mode;
		case 'done':
			return mode.kind === 'moving' ? BROWSING : mode;
		case 'saved':
			return mode.kind === 'adding' || mode.kind === 'editing' ? BROWSING : mode;
		case 'cancel':
			return BROWSING;
		case 'escape':
			// The forms are dialogs: Escape there is the dialog's own cancel.
			return mode.kind === 'placing' || mode.kind === 'drawing' || mode.kind === 'moving' ? BROWSING : mode;
		case 'resume':
			return mode.kind === 'browsing' ? event.to : mode;
		case 'gone':
			return (mode.kind === 'moving' || mode.kind === 'editing') && mode.id === event.id ? BROWSING : mode;
	}
}

/** What a tap on the map does besides changing the mode. */
export type TapEffect = { kind: 'select' } | { kind: 'move'; id: string; to: LngLat } | { kind: 'none' };

/**
 * Only while browsing does a tap pick what is under it. In every other mode the tap is the
 * mode's own (place, add a corner, move), and never also selects.
 */
export function tapEffect(mode: EditMode, at: LngLat): TapEffect {
	if (mode.kind === 'browsing') return { kind: 'select' };
	if (mode.kind === 'moving') return { kind: 'move', id: mode.id, to: at };
	return { kind: 'none' };
}

/** Whether the map shows the crosshair and mode bar (placing, drawing, moving). */
export function onMap(mode: EditMode): mode is Extract<EditMode, { kind: 'placing' | 'drawing' | 'moving' }> {
	return mode.kind === 'placing' || mode.kind === 'drawing' || mode.kind === 'moving';
}

/** The corners drawn so far, for the draft shape; empty outside drawing. */
export function draftVertices(mode: EditMode): LngLat[] {
	return mode.kind === 'drawing' ? mode.vertices : [];
}

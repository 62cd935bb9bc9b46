/**
 * Work in progress kept on this device, per map, so nothing a person typed or drew is lost
 * when the map is locked, the connection drops, the link is replaced or the shared map has
 * to be reloaded (4409). Stored in localStorage (synchronous: a draft written on every
 * keystroke is there even if the tab dies next), read defensively, and bounded: at most
 * MAX_DRAFTS drafts a map and MAX_DRAFT_CHARS characters each.
 */
import { parseGeometry } from '../doc/validate.ts';
import { CATEGORIES, LIMITS, type AssetGeometry, type Category, type Position } from '../doc/model.ts';
import type { FormValues } from './field-diff.ts';

export type Draft =
	/** A new asset's form. */
	| { kind: 'new'; geometry: AssetGeometry; values: FormValues; savedAt: number; sent?: Sent }
	/** An open edit: what it opened with (to diff against at save) and what is typed. */
	| { kind: 'edit'; assetId: string; base: FormValues; values: FormValues; savedAt: number; sent?: Sent }
	/** An area being drawn, corner by corner. */
	| { kind: 'area'; vertices: Position[]; savedAt: number }
	/** An asset being moved, and where to. */
	| { kind: 'move'; assetId: string; geometry: AssetGeometry; savedAt: number };

/**
 * Saved while the server could not confirm it yet (offline): kept until it does, because
 * the server may still refuse it (the map was locked meanwhile, 4409) and the device copy
 * is then thrown away. `session` tells this page's saves from an earlier page's.
 */
export interface Sent {
	session: string;
}

/** This page's session: drafts it sent are cleared once the server has them. */
export const SESSION = Math.random().toString(36).slice(2);

export const MAX_DRAFTS = 8;
/** A 5,000-corner area is ~200 KB of JSON; a form is at most ~10 KB. */
export const MAX_DRAFT_CHARS = 256 * 1024;

/** The slot a draft takes: one new asset, one area, one edit and one move per asset. */
export function draftKey(draft: Pick<Draft, 'kind'> & { assetId?: string }): string {
	return draft.kind === 'edit' || draft.kind === 'move' ? `${draft.kind}:${draft.assetId}` : draft.kind;
}

const listeners = new Set<(mapId: string) => void>();

/** Called after any draft of any map is kept or cleared (the offer of drafts listens). */
export function onDraftsChanged(listener: (mapId: string) => void): () => void {
	listeners.add(listener);
	return () => listeners.delete(listener);
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function defaultStorage(): StorageLike | null {
	try {
		return globalThis.localStorage ?? null;
	} catch {
		return null;
	}
}

const storeKey = (mapId: string) => `asset-atlas:drafts:${mapId}`;

function isRecord(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown, max: number): string {
	return typeof value === 'string' ? value.slice(0, max) : '';
}

function parseValues(value: unknown): FormValues | null {
	if (!isRecord(value)) return null;
	const category = (CATEGORIES as readonly unknown[]).includes(value.category) ? (value.category as Category) : null;
	const tags = Array.isArray(value.tags) ? value.tags.filter((tag): tag is string => typeof tag === 'string').slice(0, LIMITS.tags * 4) : [];
	return {
		name: str(value.name, LIMITS.name),
		category,
		description: str(value.description, LIMITS.description),
		holder: str(value.holder, LIMITS.holder),
		tags
	};
}

function parsePosition(value: unknown): Position | null {
	return Array.isArray(value) && value.length === 2 && value.every((n) => typeof n === 'number' && Number.isFinite(n))
		? [value[0], value[1]]
		: null;
}

export function parseDraft(value: unknown): Draft | null {
	if (!isRecord(value)) return null;
	const savedAt = typeof value.savedAt === 'number' ? value.savedAt : 0;
	const sent = isRecord(value.sent) && typeof value.sent.session === 'string' ? { sent: { session: value.sent.session.slice(0, 40) } } : {};
	const assetId = typeof value.assetId === 'string' && value.assetId.length <= 64 ? value.assetId : null;
	switch (value.kind) {
		case 'new': {
			const geometry = parseGeometry(value.geometry);
			const values = parseValues(value.values);
			return geometry && values ? { kind: 'new', geometry, values, savedAt, ...sent } : null;
		}
		case 'edit': {
			const base = parseValues(value.base);
			const values = parseValues(value.values);
			return assetId && base && values ? { kind: 'edit', assetId, base, values, savedAt, ...sent } : null;
		}
		case 'area': {
			if (!Array.isArray(value.vertices)) return null;
			const vertices = value.vertices.slice(0, LIMITS.vertices).map(parsePosition);
			return vertices.every((v) => v !== null) ? { kind: 'area', vertices: vertices as Position[], savedAt } : null;
		}
		case 'move': {
			const geometry = parseGeometry(value.geometry);
			return assetId && geometry ? { kind: 'move', assetId, geometry, savedAt } : null;
		}
		default:
			return null;
	}
}

export interface DraftStore {
	/** This map's drafts, newest first. */
	load(): Draft[];
	get(key: string): Draft | null;
	/** Keeps a draft (replacing the one in its slot); false if it could not be kept. */
	save(draft: Draft): boolean;
	clear(key: string): void;
	clearAll(): void;
}

export function draftStore(mapId: string, storage: StorageLike | null = defaultStorage()): DraftStore {
	const key = storeKey(mapId);
	const readAll = (): Draft[] => {
		if (!storage) return [];
		try {
			const raw = storage.getItem(key);
			const list: unknown = raw ? JSON.parse(raw) : [];
			if (!Array.isArray(list)) return [];
			return list
				.map(parseDraft)
				.filter((draft): draft is Draft => draft !== null)
				.sort((a, b) => b.savedAt - a.savedAt)
				.slice(0, MAX_DRAFTS);
		} catch {
			return [];
		}
	};
	const writeAll = (drafts: Draft[]): boolean => {
		if (!storage) return false;
		try {
			if (drafts.length === 0) storage.removeItem(key);
			else storage.setItem(key, JSON.stringify(drafts));
			for (const listener of listeners) listener(mapId);
			return true;
		} catch {
			// Full or disabled storage: the draft stays only in the open page.
			return false;
		}
	};
	return {
		load: readAll,
		get: (slot) => readAll().find((draft) => draftKey(draft) === slot) ?? null,
		save(draft) {
			if (JSON.stringify(draft).length > MAX_DRAFT_CHARS) return false;
			const slot = draftKey(draft);
			const others = readAll().filter((other) => draftKey(other) !== slot);
			return writeAll([draft, ...others].slice(0, MAX_DRAFTS));
		},
		clear(slot) {
			const all = readAll();
			const rest = all.filter((draft) => draftKey(draft) !== slot);
			if (rest.length !== all.length) writeAll(rest);
		},
		clearAll: () => void writeAll([])
	};
}

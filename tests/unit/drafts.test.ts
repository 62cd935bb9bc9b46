import { describe, expect, it } from 'vitest';
import { draftStore, MAX_DRAFT_CHARS, MAX_DRAFTS, onDraftsChanged, parseDraft, type Draft } from '../../src/lib/edit/drafts.ts';
import type { FormValues } from '../../src/lib/edit/field-diff.ts';

function memoryStorage() {
	const data = new Map<string, string>();
	return {
		data,
		getItem: (key: string) => data.get(key) ?? null,
		setItem: (key: string, value: string) => void data.set(key, value),
		removeItem: (key: string) => void data.delete(key)
	};
}

const values: FormValues = { name: 'Bait shop', category: 'economy', description: 'Worms', holder: '', tags: ['fishing'] };
const newDraft: Draft = { kind: 'new', geometry: { type: 'Point', coordinates: [1, 2] }, values, savedAt: 10 };

describe('draft store', () => {
	it('saves, loads and clears, per map', () => {
		const storage = memoryStorage();
		const one = draftStore('map-one', storage);
		const two = draftStore('map-two', storage);
		expect(one.save(newDraft)).toBe(true);
		expect(one.load()).toEqual([newDraft]);
		expect(two.load()).toEqual([]);
		expect(one.get('new')).toEqual(newDraft);
		one.clear('new');
		expect(one.load()).toEqual([]);
		expect(storage.data.size).toBe(0);
	});

	it('keeps one draft per slot, newest first', () => {
		const store = draftStore('m', memoryStorage());
		store.save(newDraft);
		store.save({ ...newDraft, values: { ...values, name: 'Bait and tackle' }, savedAt: 20 });
		store.save({ kind: 'edit', assetId: 'a1', base: values, values: { ...values, holder: 'Dee' }, savedAt: 30 });
		store.save({ kind: 'area', vertices: [[0, 0], [1, 0]], savedAt: 40 });
		expect(store.load().map((d) => [d.kind, d.savedAt])).toEqual([['area', 40], ['edit', 30], ['new', 20]]);
	});

	it('is bounded: at most MAX_DRAFTS a map, and no oversized draft', () => {
		const store = draftStore('m', memoryStorage());
		for (let i = 0; i < MAX_DRAFTS + 5; i++) store.save({ kind: 'edit', assetId: `a${i}`, base: values, values, savedAt: i });
		const kept = store.load();
		expect(kept).toHaveLength(MAX_DRAFTS);
		expect(kept[0]).toMatchObject({ assetId: `a${MAX_DRAFTS + 4}` });
		const huge: Draft = { kind: 'area', vertices: Array.from({ length: MAX_DRAFT_CHARS / 10 }, (_, i) => [i / 1e6, i / 1e6] as [number, number]), savedAt: 1 };
		expect(store.save(huge)).toBe(false);
		expect(store.load()).toHaveLength(MAX_DRAFTS);
	});

	it('reads defensively and survives a full or missing storage', () => {
		const storage = memoryStorage();
		storage.setItem('asset-atlas:drafts:m', '{not json');
		expect(draftStore('m', storage).load()).toEqual([]);
		storage.setItem('asset-atlas:drafts:m', JSON.stringify([{ kind: 'new', geometry: 'nope' }, { kind: 'bogus' }, newDraft]));
		expect(draftStore('m', storage).load()).toEqual([newDraft]);
		const full = { ...memoryStorage(), setItem: () => { throw new Error('QuotaExceededError'); } };
		expect(draftStore('m', full).save(newDraft)).toBe(false);
		expect(draftStore('m', null).load()).toEqual([]);
		expect(parseDraft({ ...newDraft, values: { ...values, category: 'weird', name: 5 } })).toMatchObject({ values: { category: null, name: '' } });
	});

	it('tells listeners which map changed', () => {
		const seen: string[] = [];
		const stop = onDraftsChanged((mapId) => seen.push(mapId));
		draftStore('m7', memoryStorage()).save(newDraft);
		stop();
		expect(seen).toEqual(['m7']);
	});
});

/**
 * The PDF report (server/pdf/report.ts) in-process: the vector map when no PNG is stored,
 * the PNG when one is (checked first: a corrupt or oversized one gives the vector map),
 * any script or unprintable text without a crash, the same bytes for the same snapshot,
 * and the limits that keep a report bounded. Plus the plane geometry the map is drawn with.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { addAsset, initMap } from '../../src/lib/doc/mutations.ts';
import { createDoc } from '../../src/lib/doc/schema.ts';
import type { Asset } from '../../src/lib/doc/model.ts';
import { snapshotReport, REPORT_LIMITS } from '../../server/pdf/report.ts';
import { clipLine, clipRing, thin } from '../../server/pdf/clip.ts';
import { mercatorWindow } from '../../server/pdf/map-figure.ts';
import { pngInfo } from '../../server/png.ts';
import { printable } from '../../server/pdf/fonts.ts';
import { snapshotRecordOf, workshopMap } from '../helpers/snapshot-records.ts';
import { pdfText, squash } from '../helpers/pdftotext.ts';
import { MAX_WAITING, ReportBusyError, renderReport } from '../../server/pdf/render.ts';

const who = { id: 'personXXXXXXXXXX', name: 'Partner', affiliation: 'community-member' } as const;
const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
/** Image XObjects in the file (their dictionaries are not compressed). */
const images = (bytes: Uint8Array) => latin1(bytes).match(/\/Subtype \/Image/g)?.length ?? 0;

// --- A PNG made by hand: signature, IHDR, IDAT (zlib), IEND, each chunk with its CRC. ---
const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
	let c = 0xffffffff;
	for (const byte of bytes) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
	const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const out = Buffer.alloc(8 + data.length + 4);
	out.writeUInt32BE(data.length, 0);
	body.copy(out, 4);
	out.writeUInt32BE(crc32(body), 8 + data.length);
	return out;
}

/** A width×height PNG, RGB or RGBA, 8 bits per sample, a colour gradient; `idat` replaces its pixel data. */
function makePng(width: number, height: number, { alpha = false, idat }: { alpha?: boolean; idat?: Uint8Array } = {}): Uint8Array {
	const channels = alpha ? 4 : 3;
	const raw = Buffer.alloc(height * (1 + width * channels));
	for (let y = 0; y < height; y++) {
		const row = y * (1 + width * channels);
		raw[row] = 0; // no filter
		for (let x = 0; x < width; x++) {
			const at = row + 1 + x * channels;
			raw[at] = Math.round((x / width) * 255);
			raw[at + 1] = Math.round((y / height) * 255);
			raw[at + 2] = 160;
			if (alpha) raw[at + 3] = 200;
		}
	}
	const header = Buffer.alloc(13);
	header.writeUInt32BE(width, 0);
	header.writeUInt32BE(height, 4);
	header[8] = 8;
	header[9] = alpha ? 6 : 2;
	return new Uint8Array(
		Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', idat ?? deflateSync(raw)), chunk('IEND', new Uint8Array(0))])
	);
}

describe('the map in the report', () => {
	it('is drawn as vectors over Natural Earth when no PNG is stored', async () => {
		const record = snapshotRecordOf(workshopMap(12));
		expect(record.png).toBeNull();
		const bytes = await snapshotReport(record);
		expect(latin1(bytes.subarray(0, 5))).toBe('%PDF-');
		expect(images(bytes)).toBe(0);
		const text = pdfText(bytes);
		if (text === null) return;
		expect(text).toContain('© Natural Earth');
		expect(squash(text)).toContain(squash('Drawn from the snapshot’s data in Web Mercator'));
		// The legend counts each category present.
		expect(text).toMatch(/Knowledge\s+2/);
		expect(text).not.toContain('SHA-256 of the PNG file');
	});

	it('is the stored PNG, fitted to the page, with its fingerprint on the cover', async () => {
		for (const alpha of [false, true]) {
			const png = makePng(64, 40, { alpha });
			expect(pngInfo(png)).toEqual({ width: 64, height: 40, depth: 8 });
			const record = snapshotRecordOf(workshopMap(12), { png });
			const bytes = await snapshotReport(record);
			expect(images(bytes), alpha ? 'RGBA' : 'RGB').toBeGreaterThanOrEqual(1);
			expect(latin1(bytes)).toMatch(/\/Width 64\s*\/Height 40/);
			const text = pdfText(bytes);
			if (text === null) continue;
			expect(squash(text)).toContain(squash('The map as it was shown in the browser'));
			expect(text).toContain(createHash('sha256').update(png).digest('hex'));
			expect(text).not.toContain('© Natural Earth');
		}
	});

	it('falls back to the vector map for a PNG that is corrupt, truncated or too large to decode', async () => {
		const good = makePng(32, 32, { alpha: true });
		const huge = Buffer.from(makePng(1, 1));
		huge.writeUInt32BE(100_000, 16);
		huge.writeUInt32BE(100_000, 20);
		const cases = {
			corrupt: makePng(32, 32, { alpha: true, idat: new Uint8Array([0x78, 0x9c, 1, 2, 3, 4, 5, 6]) }),
			short: makePng(32, 32, { alpha: true, idat: deflateSync(Buffer.alloc(10)) }),
			truncated: good.subarray(0, good.byteLength - 20),
			'not a png': new TextEncoder().encode('<svg onload=alert(1)>'),
			huge: new Uint8Array(huge)
		};
		for (const [name, png] of Object.entries(cases)) {
			expect(pngInfo(png), name).toBeNull();
			const bytes = await snapshotReport(snapshotRecordOf(workshopMap(3), { png }));
			expect(images(bytes), name).toBe(0);
			const text = pdfText(bytes);
			if (text !== null) expect(text, name).toContain('© Natural Earth');
		}
	});

	it('frames the assets, across the antimeridian too, or the starting view when there are none', () => {
		const point = (lon: number, lat: number) => ({ geometry: { type: 'Point', coordinates: [lon, lat] } }) as Asset;
		const fiji = mercatorWindow([point(179.5, -17), point(-179.8, -16.5)], null, 500);
		expect(fiji.x1 - fiji.x0).toBeLessThan(0.01);
		expect(fiji.wrapBelow).toBe(0);
		const town = mercatorWindow([point(-89.65, 39.8)], null, 500);
		expect(town.x1 - town.x0).toBeGreaterThan(0);
		expect(town.x0).toBeLessThan((-89.65 + 180) / 360);
		expect(town.x1).toBeGreaterThan((-89.65 + 180) / 360);
		const view = mercatorWindow([], { center: [2.35, 48.85], zoom: 12 }, 500);
		expect(view.x1 - view.x0).toBeCloseTo(500 / (512 * 2 ** 12), 8);
		const world = mercatorWindow([], null, 500);
		expect(world.x1 - world.x0).toBe(1);
	});
});

describe('the report', () => {
	it('is the same bytes every time for the same snapshot', async () => {
		const record = snapshotRecordOf(workshopMap(30));
		const a = await snapshotReport(record);
		const b = await snapshotReport(record);
		expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
		// Made "when" the snapshot was taken, not when the report was asked for.
		expect(latin1(a)).toContain('(D:20260314153000Z)');
	});

	it('prints any script and survives text its font cannot show or that is not text at all', async () => {
		const doc = createDoc();
		initMap(doc, { title: 'Карта сильных сторон — Bản đồ', place: 'Θεσσαλονίκη' });
		const names = ['Café Ñandú', 'Библиотека', 'Hội Phụ nữ phường 5', 'Βιβλιοθήκη', 'مكتبة الحي', 'ספרייה', 'Ճաշարան', 'სკოლა'];
		const odd = ['東京の図書館', 'Garden 🌳🎉', 'Bidi \u202etxt.exe\u202c', 'Zero\u200bwidth', 'x'.repeat(200), 'e\u0301 combining'];
		for (const [i, name] of [...names, ...odd].entries()) {
			addAsset(doc, { name, category: 'places', description: i === 0 ? 'Line one\nLine two\twith a tab' : '', holder: '', tags: [name.slice(0, 20)], geometry: { type: 'Point', coordinates: [22.94 + i * 0.001, 40.64] } }, who);
		}
		const bytes = await snapshotReport(snapshotRecordOf(doc, { takenBy: { name: 'Нгуен Ван Ань', affiliation: null } }));
		const text = pdfText(bytes);
		if (text === null) return;
		for (const name of ['Café Ñandú', 'Библиотека', 'Hội Phụ nữ phường 5', 'Βιβλιοθήκη', 'Ճաշարան', 'სკოლა', 'Θεσσαλονίκη', 'Нгуен Ван Ань']) expect(text, name).toContain(name);
		expect(text).toContain('é combining');
		// The bidi override is dropped: the name prints in the order it was typed.
		expect(text).toContain('Bidi txt.exe');
	});

	it('keeps a large map bounded: long descriptions shortened, at most REPORT_LIMITS.assets listed', async () => {
		const doc = createDoc();
		initMap(doc, { title: 'Long notes' });
		const long = `${'Volunteers share seeds and stories every week. '.repeat(80)}END-OF-NOTE`;
		for (let i = 0; i < 3; i++) addAsset(doc, { name: `Asset ${i}`, category: 'knowledge', description: long.slice(0, 4000), holder: '', tags: [], geometry: { type: 'Point', coordinates: [i * 0.01, 0] } }, who);
		const bytes = await snapshotReport(snapshotRecordOf(doc));
		const text = pdfText(bytes);
		if (text === null) return;
		expect(text).not.toContain('END-OF-NOTE');
		expect(text).toContain('…');
		expect(squash(text)).toContain(squash(`Descriptions longer than ${REPORT_LIMITS.assetDescription} characters are shortened here`));
	});

	it('reads well for an empty map: no assets, goals, links or annotations', async () => {
		const doc = createDoc();
		initMap(doc, { title: 'A new partnership', view: { center: [-89.65, 39.8], zoom: 13 } });
		const bytes = await snapshotReport(snapshotRecordOf(doc, { takenBy: null }));
		const text = pdfText(bytes);
		if (text === null) return;
		expect(text).toContain('A new partnership');
		expect(text).toContain('No assets were on the map when this snapshot was taken.');
		expect(text).toContain('No goals had been named when this snapshot was taken.');
		expect(text).toContain('No annotations yet.');
		expect(text).not.toContain('Taken by');
	});
});

describe('serving reports (render.ts)', () => {
	it('makes them in a worker thread, the same bytes as here, and keeps each once made', async () => {
		const record = snapshotRecordOf(workshopMap(8), { takenAt: Date.UTC(2026, 0, 2) });
		const served = await renderReport(record);
		expect(Buffer.from(served).equals(Buffer.from(await snapshotReport(record)))).toBe(true);
		expect(await renderReport(record)).toBe(served);
		// An annotation added later makes a new report.
		const annotated = { ...record, annotations: [{ id: 'later', at: Date.UTC(2026, 0, 3), text: 'Added later.', competencies: [], by: 'annotator' as const }] };
		const again = await renderReport(annotated);
		expect(Buffer.from(again).equals(Buffer.from(served))).toBe(false);
	}, 60_000);

	it(`refuses more than ${MAX_WAITING} waiting reports at once, and asks for one only once while it is made`, async () => {
		const doc = workshopMap(4);
		const records = Array.from({ length: MAX_WAITING + 3 }, (_, i) => ({ ...snapshotRecordOf(doc), id: `busy${String(i).padStart(18, '0')}` }));
		const same = [renderReport(records[0]), renderReport(records[0])];
		const outcomes = await Promise.allSettled([...same, ...records.slice(1).map(renderReport)]);
		const refused = outcomes.filter((o) => o.status === 'rejected');
		expect(refused.length).toBe(3);
		for (const outcome of refused) expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(ReportBusyError);
		const [a, b] = outcomes as Array<PromiseFulfilledResult<Uint8Array>>;
		expect(a.value).toBe(b.value);
	}, 120_000);
});

describe('text and geometry helpers', () => {
	it('printable() drops controls, bidi overrides and lone surrogates, and keeps line breaks', () => {
		expect(printable('a\u0000b\u0007c\r\nd\te')).toBe('abc\nd e');
		expect(printable('x\u202ey\u2066z')).toBe('xyz');
		expect(printable('lone \ud800 high')).toBe('lone \ufffd high');
		expect(printable('e\u0301')).toBe('é');
		expect(printable('🌳')).toBe('🌳');
	});

	it('clips rings and lines to a rectangle and thins vertices', () => {
		const rect = { x0: 0, y0: 0, x1: 10, y1: 10 };
		const ring = clipRing([[-5, -5], [5, -5], [5, 5], [-5, 5]], rect);
		const xs = ring.map(([x]) => x);
		const ys = ring.map(([, y]) => y);
		expect(Math.min(...xs)).toBe(0);
		expect(Math.max(...xs)).toBe(5);
		expect(Math.min(...ys)).toBe(0);
		expect(Math.max(...ys)).toBe(5);
		expect(clipRing([[20, 20], [30, 20], [30, 30]], rect)).toEqual([]);
		expect(clipLine([[-5, 5], [15, 5]], rect)).toEqual([[[0, 5], [10, 5]]]);
		expect(clipLine([[-5, 5], [5, 5], [5, 20], [5, 25], [5, 8]], rect)).toEqual([[[0, 5], [5, 5], [5, 10]], [[5, 10], [5, 8]]]);
		expect(thin([[0, 0], [0.1, 0], [0.2, 0], [5, 0], [5.1, 0]], 1)).toEqual([[0, 0], [5, 0], [5.1, 0]]);
	});
});

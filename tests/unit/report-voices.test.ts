/**
 * What issue 13 adds to a snapshot's PDF report (server/pdf/report.ts), read back with
 * pdftotext: each goal's next steps and timeline (when, from → to, who — a name only when
 * the map opted in — and the note), and the voices tables frozen with the snapshot, with
 * the gentle note and its question when one group dominates. Same snapshot, same bytes.
 */
import { describe, expect, it } from 'vitest';
import { addAsset, initMap, setCreditNames } from '../../src/lib/doc/mutations.ts';
import { addGoal, updateGoal } from '../../src/lib/doc/goal-mutations.ts';
import { linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { applyState, createDoc, encodeState, readAllProgress, type AtlasDoc } from '../../src/lib/doc/schema.ts';
import { freezeState } from '../../server/snapshot-files.ts';
import type { Category, Contributor } from '../../src/lib/doc/model.ts';
import { aggregateVoices, fromJournal } from '../../src/lib/voices/aggregate.ts';
import { snapshotReport } from '../../server/pdf/report.ts';
import type { StoredSnapshotMeta } from '../../server/snapshots.ts';
import { snapshotRecordOf } from '../helpers/snapshot-records.ts';
import { pdfText } from '../helpers/pdftotext.ts';

const D1 = Date.UTC(2026, 2, 10, 10, 0);
const D3 = Date.UTC(2026, 2, 12, 16, 0);
const maria: Contributor = { id: 'mariaXXXXXXXXXXX', name: 'Maria Lopez', affiliation: 'community-member' };
const org: Contributor = { id: 'orgXXXXXXXXXXXXX', name: 'Eastside Growers', affiliation: 'community-organization' };
const prof: Contributor = { id: 'profXXXXXXXXXXXX', name: 'Dr. Ana Ruiz', affiliation: 'faculty' };
const staff: Contributor = { id: 'staffXXXXXXXXXXX', name: 'Lee Park', affiliation: 'campus-staff' };
const student: Contributor = { id: 'studentXXXXXXXXX', name: 'Sam Okafor', affiliation: 'student' };

function fixture(named: boolean): AtlasDoc {
	const doc = createDoc();
	initMap(doc, { title: 'Eastside strengths', place: 'Springfield' }, D1 - 86_400_000);
	if (named) setCreditNames(doc, true);
	const asset = (name: string, category: Category, by: Contributor, at: number) =>
		addAsset(doc, { name, category, description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-89.65 + at / 1e13, 39.8] } }, by, at);
	const garden = asset('Community garden', 'places', maria, D1);
	asset('Corner store', 'places', maria, D1 + 1000);
	const lab = asset('Soil lab', 'knowledge', prof, D1 + 2000);
	asset('Extension office', 'knowledge', prof, D1 + 3000);
	asset('Library', 'knowledge', prof, D1 + 4000);
	const goal = addGoal(doc, { title: 'Fresh food within a short walk', status: 'proposed' }, staff, D1 + 5000);
	linkAssetsToGoal(doc, [garden, lab], goal, undefined, student, D1 + 6000);
	asset('Mural walk', 'culture', org, D3);
	updateGoal(doc, goal, { status: 'active' }, maria, D3 + 1000, undefined, 'Pantry volunteers joined the planning group.');
	updateGoal(doc, goal, { status: 'achieved', nextSteps: 'Open a second market stall by the bus stop in June.' }, staff, D3 + 2000);
	return doc;
}

/** The report's text laid out as on the page (pdftotext -layout), each line's runs of spaces as one: a table row is one line. */
async function rowsOf(record: ReturnType<typeof snapshotRecordOf>): Promise<string[] | null> {
	const text = pdfText(await snapshotReport(record), { layout: true });
	return text === null ? null : text.split('\n').map((line) => line.replace(/\s+/g, ' ').trim()).filter(Boolean);
}


describe('freezing a snapshot', () => {
	it('keeps each goal’s timeline in the public document with affiliations only, names in meta only when opted in, and the document’s voices', () => {
		for (const named of [false, true]) {
			const frozen = freezeState([encodeState(fixture(named))], D3 + 10_000);
			const copy = createDoc();
			applyState(copy, frozen.state);
			const timeline = readAllProgress(copy);
			expect(timeline.map((entry) => [entry.from, entry.to, entry.by?.affiliation, entry.by?.name, entry.note])).toEqual([
				[null, 'proposed', 'campus-staff', '', ''],
				['proposed', 'active', 'community-member', '', 'Pantry volunteers joined the planning group.'],
				['active', 'achieved', 'campus-staff', '', '']
			]);
			expect(JSON.stringify(copy.toJSON())).not.toMatch(/Maria Lopez|Lee Park/);
			const names = frozen.meta.progressNames;
			if (named) expect(timeline.map((entry) => names?.[entry.id])).toEqual(['Lee Park', 'Maria Lopez', 'Lee Park']);
			else expect(names).toBeUndefined();
			expect(frozen.voices.source).toBe('document');
			expect(frozen.voices.total).toBe(9);
			copy.destroy();
		}
	});
});

describe('goal timelines in the report', () => {
	it('lists each status change with its date, from → to, the affiliation (no name unless opted in) and the note, and the next steps', async (ctx) => {
		const text = pdfText(await snapshotReport(snapshotRecordOf(fixture(false))));
		if (text === null) return ctx.skip();
		expect(text.replace(/\s+/g, ' ')).toContain('Next steps Open a second market stall by the bus stop in June. Timeline');
		expect(text).toContain('10 March 2026 Added as Proposed Campus staff');
		expect(text).toContain('12 March 2026 Proposed → Active Community member');
		expect(text).toContain('Pantry volunteers joined the planning group.');
		expect(text).toContain('12 March 2026 Active → Achieved Campus staff');
		expect(text).not.toContain('Maria Lopez');
		expect(text).not.toContain('Lee Park');
	});

	it('names who moved a goal when the map opted in to naming contributors', async (ctx) => {
		const text = pdfText(await snapshotReport(snapshotRecordOf(fixture(true))));
		if (text === null) return ctx.skip();
		expect(text).toContain('Proposed → Active Maria Lopez (Community member)');
		expect(text).toContain('Active → Achieved Lee Park (Campus staff)');
	});
});

describe('the voices tables in the report', () => {
	it('hold the numbers frozen with the snapshot: by group, by affiliation, by collection, per day and by category', async (ctx) => {
		const record = snapshotRecordOf(fixture(false));
		expect(Buffer.from(await snapshotReport(record)).equals(Buffer.from(await snapshotReport(record)))).toBe(true);
		const rows = await rowsOf(record);
		if (rows === null) return ctx.skip();
		expect(rows).toContain('Whose voices');
		// Community: Maria's two assets and the organization's one; campus: three assets, the goal and two links.
		expect(rows).toContain('Community (community members and organizations) 3 33.3%');
		expect(rows).toContain('Campus (campus staff, faculty and students) 6 66.7%');
		expect(rows).toContain('Total 9 100.0%');
		expect(rows).toContain('Community member Community 2 22.2%');
		expect(rows).toContain('Community organization Community 1 11.1%');
		expect(rows).toContain('Faculty Campus 3 33.3%');
		expect(rows).toContain('Campus staff Campus 1 11.1%');
		expect(rows).toContain('Student Campus 2 22.2%');
		expect(rows).toContain('Assets 3 3 6');
		expect(rows).toContain('Goals 0 1 1');
		expect(rows).toContain('Links 0 2 2');
		expect(rows).toContain('Named answers 0 0 0');
		// Per day: the empty 11 March is left out of the printed table.
		expect(rows).toContain('10 March 2026 2 6 8');
		expect(rows).toContain('12 March 2026 1 0 1');
		expect(rows.join('\n')).not.toContain('11 March 2026');
		expect(rows).toContain('Places 2 0 2');
		expect(rows).toContain('Knowledge 0 3 3');
		expect(rows).toContain('Culture 1 0 1');
		expect(rows).toContain('Skills 0 0 0');
		// Nine grouped contributions are too few to call anyone dominant.
		expect(rows.join('\n')).not.toContain('A question to reflect on');
	});

	it('prints the stored numbers, not the document’s, and the gentle note with its question when campus voices dominate', async (ctx) => {
		const journal = [
			...Array.from({ length: 11 }, (_, i) => ({ at: D1 + i, role: 'editor', affiliation: 'faculty', collection: 'assets', kind: 'create', fields: { category: 'knowledge' } })),
			...Array.from({ length: 3 }, (_, i) => ({ at: D3 + i, role: 'editor', affiliation: 'community-member', collection: 'goals', kind: 'create', fields: {} })),
			{ at: D3 + 10, role: 'anonymous', affiliation: null, collection: 'responses', kind: 'create', fields: {} }
		];
		const voices = aggregateVoices(fromJournal(journal), 'journal');
		const record = snapshotRecordOf(fixture(false), { voices });
		const rows = await rowsOf(record);
		const text = pdfText(await snapshotReport(record));
		if (rows === null || text === null) return ctx.skip();
		expect(rows).toContain('Campus (campus staff, faculty and students) 11 78.6%');
		expect(rows).toContain('Community (community members and organizations) 3 21.4%');
		expect(rows).toContain('Knowledge 0 11 11');
		expect(text).toContain('1 anonymous answer is kept out of these counts');
		expect(text).toContain('as the server’s history recorded them');
		expect(text.replace(/\s+/g, ' ')).toContain('Campus voices made 79% of the contributions from community and campus partners.');
		expect(text.replace(/\s+/g, ' ')).toContain('Whose knowledge is shaping this map, and whose is missing?');
	});

	it('counts the frozen document for a snapshot taken before voices were stored with it', async (ctx) => {
		const record = snapshotRecordOf(fixture(false));
		delete (record.meta as StoredSnapshotMeta).voices;
		const rows = await rowsOf(record);
		if (rows === null) return ctx.skip();
		expect(rows).toContain('Campus (campus staff, faculty and students) 6 66.7%');
		expect(rows).toContain('10 March 2026 2 6 8');
	});
});

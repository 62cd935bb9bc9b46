/**
 * GET /api/maps/<id>/voices against the real server (port 0, SQLite): stock y-websocket
 * clients joining with different names and affiliations add assets, goals and links; the
 * endpoint's numbers are exactly what their connections' affiliations make (the server's
 * stamp, not the createdBy a client writes), per UTC day as the history API dates them,
 * for any role's key; 401 and 404 as elsewhere. A snapshot freezes the numbers: its JSON
 * and its PDF keep them while the map moves on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addAsset } from '../../src/lib/doc/mutations.ts';
import { newEntityId } from '../../src/lib/doc/ids.ts';
import { connectAssets, linkAssetsToGoal } from '../../src/lib/doc/link-mutations.ts';
import { insertEntry, readAllAssets, readAllGoals, readAllLinks, transact } from '../../src/lib/doc/schema.ts';
import type { Affiliation, Category, Contributor } from '../../src/lib/doc/model.ts';
import { parseVoices, utcDay, type Voices } from '../../src/lib/voices/aggregate.ts';
import { startTestServer, type TestServer } from '../helpers/test-server.ts';
import { connectClient, createMap, pollUntil, waitForDoc, type Client, type CreatedMap } from '../helpers/sync-clients.ts';
import { pdfText } from '../helpers/pdftotext.ts';

let server: TestServer;
let map: CreatedMap;
const clients: Client[] = [];
let watcher: Client;

/** What each connection's own client writes as createdBy: the faculty member's says "community member", which the server's count must not believe. */
const claimed: Contributor = { id: 'claimedXXXXXXXXX', name: 'Claimed', affiliation: 'community-member' };

function join(key: string, name: string, affiliation?: Affiliation): Client {
	const client = connectClient(server.syncUrl, map.id, key, undefined, { params: affiliation ? { name, affiliation } : { name } });
	clients.push(client);
	return client;
}

/**
 * A goal as a schema-1 client writes it, without the first entry of its timeline: this file
 * is about voices, and a goal counts as its creator's contribution either way.
 */
function goal(client: Client, title: string): string {
	const id = newEntityId();
	const now = Date.now();
	transact(client.doc, () => insertEntry(client.doc, 'goals', id, { id, title, description: '', horizon: 'short', status: 'proposed', createdBy: claimed, createdAt: now, updatedBy: claimed, updatedAt: now }), 'test');
	return id;
}

function asset(client: Client, name: string, category: Category, i: number): string {
	return addAsset(client.doc, { name, category, description: '', holder: '', tags: [], geometry: { type: 'Point', coordinates: [-89.65 + i * 0.001, 39.8] } }, claimed);
}

async function voices(key: string, mapId = map.id): Promise<{ status: number; body: Voices | null }> {
	const response = await fetch(`${server.url}/api/maps/${mapId}/voices`, { headers: { Authorization: `Bearer ${key}` } });
	const json: unknown = await response.json();
	return { status: response.status, body: response.status === 200 ? parseVoices(json) : null };
}

const counts = (watcherDoc: Client['doc']) => ({ assets: readAllAssets(watcherDoc).length, goals: readAllGoals(watcherDoc).length, links: readAllLinks(watcherDoc).length });

/** Until the watcher has as many entries: the server stored (and journaled) them before it sent them on. */
const seen = (assets: number, goals: number, links: number) =>
	waitForDoc(watcher.doc, (doc) => {
		const now = counts(doc);
		return now.assets === assets && now.goals === goals && now.links === links;
	}, `${assets} assets, ${goals} goals, ${links} links`);

interface HistoryEntry {
	at: number;
	collection: string;
	kind: string;
	affiliation: Affiliation | null;
}

/** Every create record through the history API, paged. */
async function creates(): Promise<HistoryEntry[]> {
	const all: HistoryEntry[] = [];
	let before: string | null = null;
	do {
		const response = await fetch(`${server.url}/api/maps/${map.id}/history?kind=create&limit=200${before ? `&before=${before}` : ''}`, { headers: { Authorization: `Bearer ${map.keys.viewer}` } });
		const page = (await response.json()) as { entries: HistoryEntry[]; next: string | null };
		all.push(...page.entries);
		before = page.next;
	} while (before);
	return all;
}

let prof: Client;

beforeAll(async () => {
	server = await startTestServer();
	map = await createMap(server.url, { title: 'Whose voices', place: 'Springfield' });
	watcher = connectClient(server.syncUrl, map.id, map.keys.viewer);
	const maria = join(map.keys.editor, 'Maria Lopez', 'community-member');
	const org = join(map.keys.editor, 'Eastside Growers', 'community-organization');
	prof = join(map.keys.editor, 'Dr. Ruiz', 'faculty');
	const student = join(map.keys.editor, 'Sam', 'student');
	const staff = join(map.keys.facilitator, 'Lee', 'campus-staff');
	const nobody = join(map.keys.editor, 'Guest');
	await Promise.all([watcher.synced, ...clients.map((client) => client.synced)]);

	// Community: Maria's three assets, the organization's asset and goal = 5.
	const garden = asset(maria, 'Community garden', 'places', 0);
	asset(maria, 'Corner store', 'places', 1);
	asset(maria, 'Mural walk', 'culture', 2);
	const pantry = asset(org, 'Food pantry', 'organizations', 3);
	await seen(4, 0, 0);
	const goalId = goal(org, 'Fresh food within a short walk');
	// Campus: two of the professor's assets (claimed to be a community member's) and a goal, the student's two links, the staff member's connection = 6.
	asset(prof, 'Soil lab', 'knowledge', 4);
	asset(prof, 'Extension office', 'knowledge', 5);
	goal(prof, 'Students and neighbours cook together');
	await seen(6, 2, 0);
	await waitForDoc(student.doc, (doc) => readAllGoals(doc).length === 2 && readAllAssets(doc).length === 6, 'the student sees the goals');
	linkAssetsToGoal(student.doc, [garden, pantry], goalId, undefined, claimed);
	await waitForDoc(staff.doc, (doc) => readAllAssets(doc).length === 6, 'staff sees the assets');
	connectAssets(staff.doc, garden, pantry, 'Share volunteers', claimed);
	// Other: a guest who gave no affiliation (the server stamps "other").
	asset(nobody, 'Bus stop bench', 'places', 6);
	await seen(7, 2, 3);
}, 60_000);

afterAll(async () => {
	for (const client of [watcher, ...clients]) client?.destroy();
	await server?.dispose();
});

describe('GET /api/maps/<id>/voices', () => {
	it('counts every contribution by the affiliation the server stamped on its connection', async () => {
		const { status, body } = await voices(map.keys.editor);
		expect(status).toBe(200);
		expect(body).not.toBeNull();
		const v = body!;
		expect(v.source).toBe('journal');
		expect(v.truncated).toBe(false);
		expect(v.total).toBe(12);
		expect(v.anonymousAnswers).toBe(0);
		expect(v.groups).toEqual({
			community: { count: 5, share: 5 / 12 },
			campus: { count: 6, share: 6 / 12 },
			other: { count: 1, share: 1 / 12 },
			unknown: { count: 0, share: 0 }
		});
		expect(v.affiliations).toEqual({
			'community-member': { count: 3, share: 3 / 12 },
			'community-organization': { count: 2, share: 2 / 12 },
			'campus-staff': { count: 1, share: 1 / 12 },
			faculty: { count: 3, share: 3 / 12 },
			student: { count: 2, share: 2 / 12 },
			other: { count: 1, share: 1 / 12 },
			unknown: { count: 0, share: 0 }
		});
		expect(v.collections).toEqual({
			assets: { community: 4, campus: 2, other: 1, unknown: 0, total: 7 },
			goals: { community: 1, campus: 1, other: 0, unknown: 0, total: 2 },
			links: { community: 0, campus: 3, other: 0, unknown: 0, total: 3 },
			responses: { community: 0, campus: 0, other: 0, unknown: 0, total: 0 }
		});
		const byCategory = Object.fromEntries(v.categories.filter((row) => row.total > 0).map(({ category, ...rest }) => [category, rest]));
		expect(byCategory).toEqual({
			knowledge: { community: 0, campus: 2, other: 0, unknown: 0, total: 2 },
			organizations: { community: 1, campus: 0, other: 0, unknown: 0, total: 1 },
			places: { community: 2, campus: 0, other: 1, unknown: 0, total: 3 },
			culture: { community: 1, campus: 0, other: 0, unknown: 0, total: 1 }
		});
		// 6 of 11 grouped contributions: nobody dominates.
		expect(v.dominance).toBeNull();
	});

	it('dates them by UTC day exactly as the history API does', async () => {
		const { body } = await voices(map.keys.viewer);
		const counted = (await creates()).filter((entry) => ['assets', 'goals', 'links', 'responses'].includes(entry.collection));
		expect(counted).toHaveLength(12);
		const perDay = new Map<string, number>();
		for (const entry of counted) perDay.set(utcDay(entry.at), (perDay.get(utcDay(entry.at)) ?? 0) + 1);
		expect(Object.fromEntries(body!.days.filter((day) => day.total > 0).map((day) => [day.day, day.total]))).toEqual(Object.fromEntries(perDay));
		expect(body!.first).toBe(Math.min(...counted.map((entry) => entry.at)));
		expect(body!.last).toBe(Math.max(...counted.map((entry) => entry.at)));
	});

	it('answers any role’s key; 401 for a wrong key, 404 for an unknown map', async () => {
		const facilitator = await voices(map.keys.facilitator);
		expect(facilitator.status).toBe(200);
		expect(facilitator.body?.total).toBe(12);
		expect((await voices(map.keys.viewer)).status).toBe(200);
		const wrong = await fetch(`${server.url}/api/maps/${map.id}/voices`, { headers: { Authorization: 'Bearer not-a-key-of-this-map' } });
		expect(wrong.status).toBe(401);
		const none = await fetch(`${server.url}/api/maps/${map.id}/voices`);
		expect(none.status).toBe(401);
		const other = await createMap(server.url, { title: 'Another map' });
		expect((await voices(map.keys.editor, other.id)).status).toBe(401);
		expect((await voices(map.keys.editor, 'nosuchmap1')).status).toBe(404);
	});

	it('counts a map with no history from its document', async () => {
		const fresh = await createMap(server.url, { title: 'Nothing yet' });
		const { status, body } = await voices(fresh.keys.viewer, fresh.id);
		expect(status).toBe(200);
		expect(body?.source).toBe('document');
		expect(body?.total).toBe(0);
		expect(body?.days).toEqual([]);
	});
});

describe('voices frozen with a snapshot', () => {
	it('are stored with it and printed in its report, and stay as they were while the live count moves on and campus voices come to dominate', async (ctx) => {
		const taken = await fetch(`${server.url}/api/maps/${map.id}/snapshots`, { method: 'POST', headers: { Authorization: `Bearer ${map.keys.editor}` } });
		expect(taken.status).toBe(201);
		const { id } = (await taken.json()) as { id: string };
		const stored = async () => parseVoices(((await (await fetch(`${server.url}/api/snapshots/${id}`)).json()) as { meta: { voices: unknown } }).meta.voices);
		const atFreeze = await stored();
		expect(atFreeze?.source).toBe('journal');
		expect(atFreeze?.total).toBe(12);
		expect(atFreeze?.groups.campus.count).toBe(6);
		const pdf = async () => new Uint8Array(await (await fetch(`${server.url}/s/${id}/export.pdf`)).arrayBuffer());
		const before = await pdf();

		// Ten more from the professor: campus 16 of 21 grouped, past two thirds.
		for (let i = 0; i < 10; i++) asset(prof, `Lab ${i + 1}`, 'knowledge', 10 + i);
		await seen(17, 2, 3);
		await pollUntil(async () => (await voices(map.keys.viewer)).body?.total === 22, 'the live count to reach 22');
		const live = (await voices(map.keys.viewer)).body!;
		expect(live.groups.campus.count).toBe(16);
		expect(live.dominance).toEqual({ group: 'campus', count: 16, grouped: 21, share: 16 / 21 });

		expect(await stored()).toEqual(atFreeze);
		expect(Buffer.from(await pdf()).equals(Buffer.from(before))).toBe(true);
		const text = pdfText(before, { layout: true });
		if (text === null) return ctx.skip();
		const rows = text.split('\n').map((line) => line.replace(/\s+/g, ' ').trim());
		expect(rows).toContain('Community (community members and organizations) 5 41.7%');
		expect(rows).toContain('Campus (campus staff, faculty and students) 6 50.0%');
		expect(rows).toContain('Other (took part as “other”) 1 8.3%');
		expect(rows).toContain('Faculty Campus 3 25.0%');
		expect(rows).toContain('Links 0 3 0 3');
		expect(rows).toContain('Places 2 0 1 3');
		expect(rows.join('\n')).not.toContain('A question to reflect on');
	});
});

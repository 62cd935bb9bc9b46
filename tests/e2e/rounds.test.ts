/**
 * Check-in rounds and goal progress in real Chromium against the real server (issue 13):
 * a facilitator on a laptop opens a named round and an anonymous one from the Reflect tab;
 * two partners on 360×740 touch phones join by the participant link and answer — one named,
 * one named and anonymous (first offline: the text waits in the box, then it goes through
 * the server); the facilitator sees the answers grouped by prompt and by goal with the right
 * counts, the anonymous one as "Anonymous"; a phone edits its own answer, the facilitator
 * removes someone else's (asked first, by name); the present view shows the current round's answers live; closing the rounds
 * leaves the phones read-only; and a goal's status change with a note shows on another
 * context's timeline, with next steps written on the goal.
 *
 * Screenshots of the Reflect tab and the present view at 360 and 1280 px go to SHOTS_DIR
 * (test-results/ by default).
 */
import { mkdirSync } from 'node:fs';
import { join as joinPath } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { openSession, type BrowserSession } from './session.ts';
import { join, waitLive } from './workshop.ts';
import { addGoal } from '../../src/lib/doc/goal-mutations.ts';
import type { Contributor } from '../../src/lib/doc/model.ts';
import { createMap, type Client, type CreatedMap } from '../helpers/sync-clients.ts';

const PHONE = { viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true, reducedMotion: 'reduce' as const };
const SHOTS = process.env.SHOTS_DIR ?? 'test-results';
const seeder: Contributor = { id: 'seed', name: 'Rosa', affiliation: 'community-member' };
const FOOD = 'Fresh food within walking distance';
const ARTS = 'Young people lead a summer arts festival';
const NAMED = 'Check-in after the site visit';
const ANONYMOUS = 'Honest check-in';

let session: BrowserSession;
let map: CreatedMap;
let writer: Client;
let facilitator: Page;
let phone1: Page;
let phone2: Page;
let phone2Context: BrowserContext;
let present: Page;

const shot = async (page: Page, name: string) => {
	mkdirSync(SHOTS, { recursive: true });
	await page.screenshot({ path: joinPath(SHOTS, `${name}.png`), fullPage: false });
};
const roundCard = (page: Page, title: string) => page.getByTestId('round').filter({ has: page.getByRole('heading', { name: new RegExp(`^${title}`) }) });
/** The answer form for one prompt of a round. */
const answerForm = (card: Locator, prompt: string) => card.getByTestId('answer-form').filter({ has: card.page().getByLabel(prompt, { exact: true }) });
/** [label, count line] of each group shown in a round, in order. */
async function groups(card: Locator): Promise<Array<[string, string]>> {
	const sections = card.getByTestId('answer-group');
	const out: Array<[string, string]> = [];
	for (let i = 0; i < (await sections.count()); i++) {
		const section = sections.nth(i);
		out.push([((await section.locator('h4 .label').textContent()) ?? '').trim(), ((await section.getByTestId('group-count').textContent()) ?? '').trim()]);
	}
	return out;
}
/** The byline of the answer with this text, in a round. */
const bylineOf = (card: Locator, text: string) => card.getByTestId('answer').filter({ hasText: text }).locator('.who').first().textContent();

async function openReflect(page: Page, phone: boolean) {
	if (phone) await page.getByTestId('phone-tab-reflect').tap();
	else await page.getByRole('tab', { name: /Reflect/ }).click();
	await expect.poll(() => page.getByTestId('rounds-panel').isVisible()).toBe(true);
}

async function answer(page: Page, round: string, prompt: string, text: string, goal: string | null, button: string) {
	const form = answerForm(roundCard(page, round), prompt);
	await form.getByLabel(prompt, { exact: true }).fill(text);
	if (goal) await form.getByLabel('Tie it to a goal (optional)').selectOption({ label: goal });
	await form.getByRole('button', { name: button }).tap();
}

describe('check-in rounds and goal progress', () => {
	beforeAll(async () => {
		session = await openSession();
		map = await createMap(session.server.url, { title: 'Eastside strengths', place: 'Springfield' });
		writer = session.connectByLink(map.links.facilitator);
		await writer.synced;
		writer.provider.awareness.setLocalState(null);
		addGoal(writer.doc, { title: FOOD, horizon: 'short' }, seeder);
		addGoal(writer.doc, { title: ARTS, horizon: 'long', status: 'active' }, seeder);
	});
	afterEach(async (context) => {
		if (context.task.result?.state === 'fail') await session.screenshotAll('rounds-failure');
	});
	afterAll(async () => {
		writer?.destroy();
		await session?.dispose();
	});

	it('a facilitator opens a named round and an anonymous one from the Reflect tab', async () => {
		facilitator = await session.newPage({ reducedMotion: 'reduce' });
		await facilitator.goto(map.links.facilitator);
		await join(facilitator, 'Fatima Facilitator', 'Campus staff');
		await waitLive(facilitator);
		await openReflect(facilitator, false);
		await expect.poll(() => facilitator.getByTestId('rounds-panel').textContent()).toContain('No check-in round yet');

		await facilitator.getByRole('button', { name: 'Open a check-in round' }).click();
		let form = facilitator.getByRole('dialog');
		// The three default prompts are there to start with.
		expect(await form.getByRole('textbox', { name: /^Prompt \d$/ }).evaluateAll((boxes) => boxes.map((box) => (box as HTMLTextAreaElement).value))).toEqual([
			'What is working?',
			'What should change?',
			'Which goals moved forward, and what comes next?'
		]);
		await form.getByLabel('Title').fill(NAMED);
		await form.getByRole('button', { name: 'Open the round' }).click();
		await expect.poll(() => form.count()).toBe(0);
		await expect.poll(() => roundCard(facilitator, NAMED).getAttribute('data-status')).toBe('open');

		await facilitator.getByRole('button', { name: 'Open a check-in round' }).click();
		form = facilitator.getByRole('dialog');
		await form.getByLabel('Title').fill(ANONYMOUS);
		// Up to six prompts; the third goes, a new one comes.
		await form.getByRole('button', { name: 'Remove prompt 3' }).click();
		await form.getByRole('button', { name: 'Add a prompt' }).click();
		await form.getByRole('textbox', { name: 'Prompt 3' }).fill('What surprised you?');
		const anonymous = form.getByRole('checkbox', { name: 'Anonymous answers' });
		// The explanation says what anonymous means and what it does not.
		const described = await anonymous.evaluate((box) =>
			(box.getAttribute('aria-describedby') ?? '')
				.split(' ')
				.map((id) => document.getElementById(id)?.textContent ?? '')
				.join(' ')
		);
		expect(described).toContain('not in the map, not in its history, not on the server');
		expect(described).toContain('you can still see that someone answered and how many answers came in');
		expect(described).toContain('may still identify them');
		await anonymous.check();
		await form.getByRole('button', { name: 'Open the round' }).click();
		await expect.poll(() => form.count()).toBe(0);
		const card = roundCard(facilitator, ANONYMOUS);
		await expect.poll(() => card.getAttribute('data-status')).toBe('open');
		expect(await card.getByRole('heading').first().textContent()).toContain('Anonymous answers');
		// Newest open round first.
		expect(await facilitator.getByTestId('round').evaluateAll((cards) => cards.map((c) => c.querySelector('.name')?.textContent))).toEqual([ANONYMOUS, NAMED]);
		// No notice of one's own rounds.
		expect(await facilitator.getByTestId('round-notice').textContent()).toBe('');
	});

	it('two partners on phones join by the participant link and answer the named round', async () => {
		phone1 = await session.newPage(PHONE);
		await phone1.goto(map.links.editor);
		await join(phone1, 'Maria', 'Community organization');
		await waitLive(phone1);
		// The tab says a round is open.
		await expect.poll(() => phone1.getByTestId('phone-tab-reflect').getAttribute('aria-label')).toBe('Reflect (a check-in round is open)');
		// Joined during open rounds: once the join dialog is gone, a notice names the newest, and stays.
		const notice = phone1.getByTestId('round-notice');
		await expect.poll(() => notice.textContent()).toContain(`A check-in round is open: ${ANONYMOUS} (and 1 more)`);
		// It stays, unlike a toast: still there once the phone has had a later change from the
		// server (the seeder showing up in presence, then leaving).
		const people = () => phone1.getByTestId('presence').locator('summary').getAttribute('aria-label');
		const before = await people();
		writer.provider.awareness.setLocalState({ user: { name: 'Rosa', color: '#0b5cad' } });
		await expect.poll(people).not.toBe(before);
		writer.provider.awareness.setLocalState(null);
		await expect.poll(people).toBe(before);
		expect(await notice.textContent()).toContain(`A check-in round is open: ${ANONYMOUS} (and 1 more)`);
		expect(await notice.getByRole('button', { name: 'Answer' }).isVisible()).toBe(true);
		await shot(phone1, 'round-notice-360');
		// Looking at the Reflect tab is seeing it.
		await openReflect(phone1, true);
		await expect.poll(() => notice.textContent()).toBe('');
		// Participants get no facilitator controls.
		expect(await phone1.getByRole('button', { name: 'Open a check-in round' }).count()).toBe(0);
		expect(await phone1.getByRole('button', { name: /^Close the round/ }).count()).toBe(0);
		await answer(phone1, NAMED, 'What is working?', 'The tool library lends ladders to the garden', FOOD, 'Send answer');
		const named1 = answerForm(roundCard(phone1, NAMED), 'What is working?');
		await expect.poll(() => named1.getByRole('status').textContent()).toBe('Answer added.');
		expect(await named1.getByLabel('What is working?', { exact: true }).inputValue()).toBe('');
		await answer(phone1, NAMED, 'What should change?', 'Meet in the evening so more neighbours come', null, 'Send answer');
		await expect.poll(() => answerForm(roundCard(phone1, NAMED), 'What should change?').getByRole('status').textContent()).toBe('Answer added.');

		phone2Context = await session.newContext(PHONE);
		phone2 = await phone2Context.newPage();
		await phone2.goto(map.links.editor);
		await join(phone2, 'Jo', 'Student');
		await waitLive(phone2);
		// The notice's "Answer" leads to the rounds.
		await phone2.getByTestId('round-notice').getByRole('button', { name: 'Answer' }).tap();
		await expect.poll(() => phone2.getByTestId('rounds-panel').isVisible()).toBe(true);
		await expect.poll(() => phone2.getByTestId('round-notice').textContent()).toBe('');
		await answer(phone2, NAMED, 'What is working?', 'Murals on the underpass', ARTS, 'Send answer');
		await expect.poll(() => answerForm(roundCard(phone2, NAMED), 'What is working?').getByRole('status').textContent()).toBe('Answer added.');
		// Everyone sees the count.
		await expect.poll(() => roundCard(phone1, NAMED).getByTestId('round-count').textContent(), { timeout: 10_000 }).toBe('3 answers');
		// Nothing on the phone's Reflect tab is wider than the screen.
		const widths = await phone1.evaluate(() => {
			const panel = document.getElementById('asset-panel')!;
			return { page: document.documentElement.scrollWidth, panel: panel.scrollWidth, room: panel.clientWidth };
		});
		expect(widths.page).toBe(360);
		expect(widths.panel).toBeLessThanOrEqual(widths.room);
	});

	it('the facilitator sees the named round’s answers grouped by prompt and by goal, with names', async () => {
		const card = roundCard(facilitator, NAMED);
		await expect.poll(() => card.getByTestId('round-count').textContent(), { timeout: 10_000 }).toBe('3 answers');
		expect(await groups(card)).toEqual([
			['What is working?', '2 answers'],
			['What should change?', '1 answer'],
			['Which goals moved forward, and what comes next?', 'No answers yet']
		]);
		expect(await bylineOf(card, 'The tool library')).toBe('Maria, Community organization');
		expect(await bylineOf(card, 'Murals')).toBe('Jo, Student');
		await card.getByRole('button', { name: 'By goal' }).click();
		expect(await groups(card)).toEqual([
			[FOOD, '1 answer'],
			[ARTS, '1 answer'],
			['Not tied to a goal', '1 answer']
		]);
		await card.getByRole('button', { name: 'By prompt' }).click();

		// A viewer reads the answers and the count, with no way to answer.
		const viewer = await session.newPage();
		await viewer.goto(map.links.viewer);
		await openReflect(viewer, false);
		const seen = roundCard(viewer, NAMED);
		await expect.poll(() => seen.getByTestId('round-count').textContent(), { timeout: 15_000 }).toBe('3 answers');
		expect(await groups(seen)).toEqual(await groups(card));
		expect(await viewer.getByTestId('answer-form').count()).toBe(0);
		expect(await seen.textContent()).toContain('To answer, open the map with the participant link.');
		await viewer.close();
	});

	it('a phone edits its own named answer; the facilitator removes someone else’s', async () => {
		const mine = roundCard(phone1, NAMED).getByTestId('answer').filter({ hasText: 'Meet in the evening' });
		// Only one's own answers can be edited.
		expect(await roundCard(phone1, NAMED).getByTestId('answer').filter({ hasText: 'Murals' }).getByRole('button').count()).toBe(0);
		await mine.getByRole('button', { name: /^Edit your answer “Meet in the evening/ }).tap();
		const editing = roundCard(phone1, NAMED).getByRole('textbox', { name: 'Edit your answer', exact: true });
		expect(await editing.inputValue()).toBe('Meet in the evening so more neighbours come');
		await editing.fill('Meet on weekday evenings so more neighbours come');
		await roundCard(phone1, NAMED).getByRole('button', { name: 'Save', exact: true }).tap();
		const card = roundCard(facilitator, NAMED);
		await expect.poll(() => card.getByTestId('answer').filter({ hasText: 'weekday evenings' }).count(), { timeout: 10_000 }).toBe(1);

		const murals = card.getByTestId('answer').filter({ hasText: 'Murals' });
		// Not the facilitator's own answer: "Remove", asked in place with the author's name.
		expect(await murals.getByRole('button', { name: /^Withdraw the answer/ }).count()).toBe(0);
		await murals.getByRole('button', { name: /^Remove the answer “Murals/ }).click();
		expect(await murals.getByTestId('remove-answer').locator('p').textContent()).toBe('Remove this answer by Jo?');
		await murals.getByRole('button', { name: 'Remove it' }).click();
		await expect.poll(() => card.getByTestId('round-count').textContent()).toBe('2 answers');
		await expect.poll(() => roundCard(phone2, NAMED).getByTestId('round-count').textContent(), { timeout: 10_000 }).toBe('2 answers');
		expect(await roundCard(phone2, NAMED).getByText('Murals on the underpass').count()).toBe(0);
		// Jo's phone no longer says "Answer added.": it says what happened.
		const jos = answerForm(roundCard(phone2, NAMED), 'What is working?');
		await expect.poll(() => jos.getByRole('status').textContent(), { timeout: 10_000 }).toBe('A facilitator removed your answer.');
	});

	it('the history keeps a removed answer’s text from participants, not from facilitators', async () => {
		const open = async (page: Page) => {
			await page.getByRole('button', { name: 'Map history' }).click();
			const dialog = page.getByRole('dialog');
			const removed = dialog.getByRole('listitem').filter({ hasText: 'Removed Jo’s answer to “What is working?”' });
			await expect.poll(() => removed.count(), { timeout: 10_000 }).toBe(1);
			const added = dialog.getByRole('listitem').filter({ hasText: 'Answered “What is working?”' }).filter({ hasText: 'Jo (Student)' });
			await expect.poll(() => added.count()).toBe(1);
			return { dialog, added };
		};
		const participant = await open(phone1);
		expect(await participant.added.getByTestId('history-detail').textContent()).toBe('(withdrawn)');
		expect(await participant.dialog.textContent()).not.toContain('Murals on the underpass');
		// Another partner's answer that is still in the round is shown.
		expect(await participant.dialog.textContent()).toContain('The tool library lends ladders to the garden');
		await participant.dialog.getByRole('button', { name: 'Close' }).click();

		const facilitators = await open(facilitator);
		expect(await facilitators.added.getByTestId('history-detail').textContent()).toBe('Murals on the underpass');
		await facilitators.dialog.getByRole('button', { name: 'Close' }).click();
		await openReflect(phone1, true);
	});

	it('an anonymous answer written offline waits in the box, with a plain message', async () => {
		const card = roundCard(phone2, ANONYMOUS);
		expect(await card.textContent()).toContain('sent without your name');
		expect(await card.textContent()).toContain('can’t be edited or withdrawn');
		await phone2Context.setOffline(true);
		await answer(phone2, ANONYMOUS, 'What should change?', 'More time to talk in small groups', FOOD, 'Send anonymously');
		const form = answerForm(card, 'What should change?');
		await expect.poll(() => form.getByRole('status').textContent()).toBe('Anonymous answers are sent only with a connection; yours is kept here until you are back.');
		expect(await form.getByRole('status').getAttribute('class')).toContain('kept');
		expect(await form.getByLabel('What should change?', { exact: true }).inputValue()).toBe('More time to talk in small groups');
		await phone2Context.setOffline(false);
		await waitLive(phone2);
		await shot(phone2, 'reflect-phone-360');
	});

	it('the present view shows the current round’s answers, large', async () => {
		await facilitator.getByRole('tab', { name: /Assets/ }).click();
		const [page] = await Promise.all([facilitator.context().waitForEvent('page'), facilitator.getByRole('button', { name: /^Present: open/ }).click()]);
		present = page;
		await present.waitForURL(/\/present/);
		await facilitator.getByRole('tab', { name: /Reflect/ }).click();
		const board = present.getByTestId('present-round');
		// The newest open round is the current one.
		await expect.poll(() => board.getByRole('heading', { level: 2 }).textContent(), { timeout: 15_000 }).toBe(ANONYMOUS);
		await present.getByRole('button', { name: 'Show the map' }).click();
		await expect.poll(() => board.count()).toBe(0);
		await present.getByRole('button', { name: 'Show the check-in answers' }).click();
		await expect.poll(() => board.count()).toBe(1);
		await shot(present, 'present-1280');

		const small = await session.newPage(PHONE);
		await small.goto(`${session.server.url}/m/${map.id}/present#key=${map.keys.facilitator}`);
		await expect.poll(() => small.getByTestId('present-round').count(), { timeout: 15_000 }).toBe(1);
		await shot(small, 'present-360');
		await small.close();
		await shot(facilitator, 'reflect-1280');
	});

	// Needs the server's anonymous endpoint (POST /api/maps/<id>/rounds/<roundId>/responses).
	it('the anonymous answer goes through the server, and the facilitator sees it as Anonymous', async () => {
		const card = roundCard(phone2, ANONYMOUS);
		const form = answerForm(card, 'What should change?');
		await form.getByRole('button', { name: 'Send anonymously' }).tap();
		await expect.poll(() => form.getByRole('status').textContent(), { timeout: 10_000 }).toBe('Sent anonymously. It can’t be edited or withdrawn.');
		expect(await form.getByLabel('What should change?', { exact: true }).inputValue()).toBe('');

		const seen = roundCard(facilitator, ANONYMOUS);
		await expect.poll(() => seen.getByTestId('round-count').textContent(), { timeout: 10_000 }).toBe('1 answer');
		expect(await groups(seen)).toEqual([
			['What is working?', 'No answers yet'],
			['What should change?', '1 answer'],
			['What surprised you?', 'No answers yet']
		]);
		expect(await bylineOf(seen, 'More time to talk')).toBe('Anonymous');
		await seen.getByRole('button', { name: 'By goal' }).click();
		expect(await groups(seen)).toEqual([[FOOD, '1 answer']]);
		// Nobody can edit it, not even on the phone that sent it.
		expect(await roundCard(phone2, ANONYMOUS).getByTestId('answer').getByRole('button').count()).toBe(0);

		// The big screen counts it, and the next one, live.
		const board = present.getByTestId('present-round');
		await expect.poll(() => board.getByTestId('present-round-count').textContent(), { timeout: 10_000 }).toBe('1 answer');
		await answer(phone1, ANONYMOUS, 'What is working?', 'Cooking together after the walk', null, 'Send anonymously');
		await expect.poll(() => board.getByTestId('present-round-count').textContent(), { timeout: 10_000 }).toBe('2 answers');
		expect(await board.getByTestId('answer').filter({ hasText: 'Cooking together' }).locator('.who').textContent()).toBe('Anonymous');
	});

	it('closing the rounds leaves the phones read-only', async () => {
		await expect.poll(() => facilitator.getByTestId('rounds-panel').isVisible()).toBe(true);
		// Phone 1 is still typing when the round closes: what it typed stays in sight.
		await answerForm(roundCard(phone1, NAMED), 'What should change?').getByLabel('What should change?', { exact: true }).fill('Shorter meetings');
		for (const title of [NAMED, ANONYMOUS]) {
			// With the keyboard: focus moves to "Reopen round", which takes the button's place.
			await roundCard(facilitator, title).getByRole('button', { name: `Close the round “${title}”` }).focus();
			await facilitator.keyboard.press('Enter');
			await expect.poll(() => roundCard(facilitator, title).getAttribute('data-status')).toBe('closed');
			await expect.poll(() => facilitator.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe(`Reopen the round “${title}”`);
			expect(await roundCard(facilitator, title).getByTestId('round-closed-at').textContent()).toMatch(/^Closed .+/);
		}
		for (const phone of [phone1, phone2]) {
			for (const title of [NAMED, ANONYMOUS]) {
				const card = roundCard(phone, title);
				await expect.poll(() => card.getAttribute('data-status'), { timeout: 10_000 }).toBe('closed');
				// Still open on the screen: a round that closes stays there to discuss.
				await expect.poll(() => card.getByTestId('round-closed-note').count()).toBe(1);
				expect(await card.getByTestId('answer-form').count()).toBe(0);
				expect(await card.getByRole('button', { name: /Edit your answer|Withdraw the answer|Remove the answer/ }).count()).toBe(0);
			}
		}
		expect(await roundCard(phone1, NAMED).getByTestId('round-unsent').textContent()).toContain('Shorter meetings');
		// The answers stay to discuss, on the big screen too.
		await expect.poll(() => roundCard(phone1, NAMED).getByTestId('round-count').textContent()).toBe('2 answers');
		await expect.poll(() => present.getByTestId('present-round').textContent(), { timeout: 10_000 }).toContain('Round closed');
	});

	it('a goal’s status change with a note shows on another context’s timeline, with next steps', async () => {
		await phone1.getByRole('button', { name: /^Goals/ }).tap();
		await phone1.locator(`[data-goal-id]`).filter({ hasText: FOOD }).tap();
		await phone1.getByRole('button', { name: `Edit the goal “${FOOD}”` }).tap();
		const form = phone1.getByRole('dialog');
		expect(await form.getByLabel('What moved it? (optional)').count()).toBe(0);
		await form.getByLabel('Status').selectOption({ label: 'Active' });
		await form.getByLabel('What moved it? (optional)').fill('The pantry joined the partnership');
		await form.getByRole('button', { name: 'Save changes' }).tap();
		await expect.poll(() => form.count()).toBe(0);

		await facilitator.getByRole('tab', { name: /Goals/ }).click();
		await facilitator.locator(`[data-goal-id]`).filter({ hasText: FOOD }).click();
		const timeline = facilitator.getByTestId('goal-timeline');
		await expect.poll(() => timeline.locator('li').count(), { timeout: 10_000 }).toBe(2);
		const entries = await timeline.locator('li').evaluateAll((items) => items.map((li) => [li.querySelector('.change [aria-hidden]')?.textContent ?? li.querySelector('.change')?.textContent?.trim(), li.querySelector('.who')?.textContent, li.querySelector('.note')?.textContent ?? '']));
		expect(entries).toEqual([
			['Added as Proposed', 'Rosa, Community member', ''],
			['Proposed → Active', 'Maria, Community organization', 'The pantry joined the partnership']
		]);

		const steps = facilitator.getByTestId('goal-next-steps');
		await steps.getByRole('button', { name: 'Write next steps' }).click();
		await steps.getByLabel(`Next steps for “${FOOD}”`).fill('Ask the corner store about a weekly produce stand');
		await steps.getByRole('button', { name: 'Save next steps' }).click();
		await expect.poll(() => phone1.getByTestId('goal-next-steps').textContent(), { timeout: 10_000 }).toContain('weekly produce stand');
		expect(session.dialogs).toEqual([]);
	});
	it('the voices dashboard keeps the anonymous answer apart and counts a new contribution', async () => {
		await openReflect(facilitator, false);
		const dashboard = facilitator.getByRole('region', { name: 'Whose voices are on the map' }).or(facilitator.locator('section.voices'));
		await expect.poll(() => dashboard.getByTestId('voices-anonymous').textContent(), { timeout: 15_000 }).toMatch(/^2 anonymous answers are kept out of these counts/);
		const count = async () => Number(((await dashboard.getByTestId('voices-total').textContent()) ?? '').match(/\d+/)?.[0] ?? NaN);
		await expect.poll(count, { timeout: 15_000 }).toBeGreaterThan(0);
		const before = await count();
		addGoal(writer.doc, { title: 'Weekend market for local makers' }, seeder);
		await expect.poll(count, { timeout: 20_000 }).toBe(before + 1);
	});
});

import { describe, expect, it } from 'vitest';
import { applyHints, coach, coachData, matchCase } from '../../src/lib/coach.ts';
import { coachEn, rules } from '../../src/lib/i18n/coach/en.ts';

/**
 * Sentences as people write them in community partnerships: goals, asset names and
 * descriptions. Each with the words the coach marks, as written, in order.
 */
const CORPUS: [string, string[]][] = [
	// Deficit wording that should be marked.
	['The east side needs more safe places for teens to gather.', ['needs more']],
	['We need more volunteers for the Saturday food distribution.', ['need more']],
	['Our goal is to address the problems facing local families.', ['problems']],
	['Housing issues and transportation challenges limit access to jobs.', ['issues', 'challenges']],
	['The neighborhood lacks a full-service grocery store.', ['lacks']],
	['There is a lack of green space near the elementary school.', ['lack']],
	['Programs for at-risk youth run every weekday after school.', ['at-risk']],
	['This pantry serves underserved and disadvantaged households.', ['underserved', 'disadvantaged']],
	['A needs assessment found deficits in literacy and numeracy.', ['needs', 'deficits']],
	['Many residents are poor and struggle to reach the clinic.', ['poor']],
	['Broken streetlights make the underpass feel unsafe at night.', ['Broken']],
	['Seniors in this deprived area are often isolated.', ['deprived']],
	['Students deficient in reading skills receive tutoring.', ['deficient']],
	['PROBLEMS WITH THE BUS ROUTE', ['PROBLEMS']],
	['The biggest challenge is keeping the garden watered in August.', ['challenge']],
	['Partnering is challenging when schedules never line up.', ['challenging']],
	['We are moving from a deficit-based to a needs-based model.', ['deficit-based', 'needs-based']],
	['Families in need can pick up boxes on Tuesdays.', ['in need']],
	['Tenants lacking internet access can use the library computers.', ['lacking']],
	['The poorest blocks have the fewest trees.', ['poorest']],
	['Youth at risk often find mentors at the boxing gym.', ['at risk']],
	['The center supports students with special needs.', ['special needs']],
	['The food desk serves under-served families on the north side.', ['under-served']],
	['Our partnership’s first problem: no shared calendar.', ['problem']],
	['What is the community’s most pressing issue this year?', ['issue']],
	['Every family needing childcare is welcome.', ['needing']],
	['Residents named a deficiency of safe crossings near Main St.', ['deficiency']],
	['The choir’s problems with the venue are resolved.', ['problems']],
	['The clinic is under-resourced and needs more translators; its biggest problem is wait times.', ['needs more', 'problem']],
	['Youth at‑risk programs (with a non-breaking hyphen) still count.', ['at‑risk']],

	// Not deficit framing: nothing marked.
	['Read the May issue of the newsletter for the full story.', []],
	['Back issues of the magazine are kept at the front desk.', []],
	['In this issue: the new mural on Fifth Street.', []],
	['The city will issue permits for the block party next week.', []],
	['Happy to help, no problem at all!', []],
	['Parking is not a problem after six.', []],
	['There is no lack of talent among the youth choir.', []],
	['Ms. Poor has led the tenants’ association since 2009.', []],
	['Janet Poor teaches quilting at the senior center.', []],
	['Creative problem solving and problem-solving workshops for teens.', []],
	['The survey results are broken down by block and age.', []],
	['The city budget deficit delayed the new library branch.', []],
	['Bring whatever you need; we need to book the hall by Friday.', []],
	['Volunteers help with access needs and dietary needs at every event.', []],
	['Join the Eastside Step Challenge this spring, or the summer reading challenge.', []],
	['The riverside homes are at risk of flooding in spring.', []],
	['Permits were issued and the office is issuing more.', []],
	['Strong relationships, shared meals and a thriving garden.', []],
	['La comunidad tiene problemas de vivienda, y el problème persiste.', []],
	['Sleep-deprived parents find rest at the family drop-in.', []],
	['The Problemsolvers club meets at the library.', []],
	['A quilting circle that has met every Thursday since 1987.', []]
];

describe('the language coach', () => {
	it('reads a realistic corpus of at least 40 sentences', () => {
		expect(CORPUS.length).toBeGreaterThanOrEqual(40);
		expect(CORPUS.filter(([, words]) => words.length > 0).length).toBeGreaterThanOrEqual(20);
		expect(CORPUS.filter(([, words]) => words.length === 0).length).toBeGreaterThanOrEqual(20);
	});

	for (const [sentence, words] of CORPUS) {
		it(words.length ? `marks ${words.join(', ')}: ${sentence}` : `leaves alone: ${sentence}`, () => {
			const hints = coach(sentence);
			expect(hints.map((hint) => hint.word)).toEqual(words);
			for (const hint of hints) {
				expect(sentence.slice(hint.start, hint.end)).toBe(hint.word);
				expect(hint.suggestions.length).toBeGreaterThan(0);
				expect(hint.suggestion).toBe(hint.suggestions[0]);
			}
		});
	}

	it('suggests affirmative wording, with one-click swaps only where the word swaps cleanly', () => {
		const [more] = coach('The park needs more benches.');
		expect(more.replacement).toBe('would be strengthened by');
		expect(applyHints('The park needs more benches.', [more])).toBe('The park would be strengthened by benches.');
		const [problems] = coach('Problems with parking');
		expect(problems.suggestions).toEqual(['goals', 'opportunities']);
		expect(problems.replacement).toBe('Goals');
		// "needs" may be a noun or a verb, "poor" about people or things: only a hint.
		expect(coach('basic needs').map((hint) => hint.replacement)).toEqual([null]);
		expect(coach('poor lighting').map((hint) => hint.replacement)).toEqual([null]);
		expect(coach('special needs').map((hint) => hint.replacement)).toEqual([null]);
	});

	it('applies every clean swap and leaves the rest as written', () => {
		const text = 'At-risk youth face issues; the block lacks shade and needs trees.';
		expect(applyHints(text, coach(text))).toBe('At-promise youth face priorities; the block would be strengthened by shade and needs trees.');
	});

	it('follows the case of what was written', () => {
		expect(matchCase('problems', 'goals')).toBe('goals');
		expect(matchCase('Problems', 'goals')).toBe('Goals');
		expect(matchCase('PROBLEMS', 'goals')).toBe('GOALS');
		expect(matchCase('Ñeeds', 'hopes')).toBe('Hopes');
	});

	it('is Unicode-safe: offsets are right after astral characters and combining marks', () => {
		const text = '🌳🌳 Café—the problem 𝒳 issues';
		const hints = coach(text);
		expect(hints.map((hint) => text.slice(hint.start, hint.end))).toEqual(['problem', 'issues']);
		expect(coach('problem\u0301')).toEqual([]); // a combining mark makes it another word
		expect(coach('İssues and ıssues')).toEqual([]); // dotted/dotless I are other letters
		expect(coach('')).toEqual([]);
	});

	it('keeps its word list consistent', () => {
		const seen = new Set<string>();
		for (const rule of rules) {
			expect(rule.match, 'lowercase').toBe(rule.match.toLowerCase());
			expect(seen.has(rule.match), `duplicate ${rule.match}`).toBe(false);
			seen.add(rule.match);
			expect(rule.suggest.length).toBeGreaterThan(0);
			// The alternatives themselves never trip the coach (bar a documented "access needs").
			for (const suggestion of rule.suggest) if (suggestion !== 'access needs') expect(coach(suggestion), suggestion).toEqual([]);
		}
		expect(coachData('en-GB')).toBe(coachEn);
		expect(coachData('xx')).toBe(coachEn);
	});

	it('marks every deficit word in a 4,000-character description, and only those', () => {
		// How fast it is lives in bench/coach.ts: tests do not assert on time.
		const sentence = 'The garden needs more volunteers, and the problems with water are real; Ms. Poor leads it. ';
		const repeats = Math.floor(4000 / sentence.length);
		const text = sentence.repeat(repeats);
		const words = coach(text).map((hint) => hint.word.toLowerCase());
		// "Ms. Poor" is a name, not a deficit word.
		expect(words).toEqual(Array.from({ length: repeats }, () => ['needs more', 'problems']).flat());
	});
});

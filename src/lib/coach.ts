/**
 * The asset-based language coach: finds deficit-based wording in a text and pairs each
 * find with affirmative alternatives. Pure and quick (one pass over the words); it only
 * suggests, and never decides whether something may be saved.
 *
 * Words are runs of Unicode letters, marks and digits, joined by inner hyphens or
 * apostrophes ("at-risk", "problem-solving", "don't"), so matches are whole words in any
 * script: "problemas" or "problème" never match "problem", nor "sleep-deprived" "deprived".
 * The word lists live per locale in src/lib/i18n/coach/.
 */

import { coachEn } from './i18n/coach/en.ts';

export interface CoachRule {
	/** Lowercase; one word, or a short phrase with words separated by single spaces. */
	match: string;
	/** Affirmative alternatives, best first. */
	suggest: readonly string[];
	/** The first suggestion replaces the matched text as is (offered as a one-click swap). */
	swap?: boolean;
	/** Lowercase words or phrases right before the match that make it mean something else. */
	notAfter?: readonly string[];
	/** Lowercase words or phrases right after the match that make it mean something else. */
	notBefore?: readonly string[];
	/** Capitalized in mid-sentence or after a title, it is a name (Ms. Poor) and not marked. */
	name?: boolean;
}

export interface CoachData {
	locale: string;
	rules: readonly CoachRule[];
	/** Lowercase titles before a name: "Dr", "Ms" … */
	titles: readonly string[];
}

export interface CoachHint {
	/** UTF-16 offsets into the text: `text.slice(start, end) === word`. */
	start: number;
	end: number;
	/** The text as written. */
	word: string;
	/** The best alternative. */
	suggestion: string;
	/** All alternatives, best first. */
	suggestions: readonly string[];
	/** What to put in place of `word` for a one-click swap (its case follows the original), or null. */
	replacement: string | null;
}

interface Compiled {
	rule: CoachRule;
	words: string[];
	notAfter: string[][];
	notBefore: string[][];
}

const WORD = /[\p{L}\p{M}\p{N}]+(?:[-\u2010\u2011'\u2019][\p{L}\p{M}\p{N}]+)*/gu;
const SPACE_ONLY = /^[^\S\n]*\n?[^\S\n]*$/; // whitespace, at most one line break
const TYPOGRAPHIC = /[\u2010\u2011\u2019]/;
const SENTENCE_GAP = /[.!?…:;\n"“‘(\[]/;

const compiled = new WeakMap<CoachData, Map<string, Compiled[]>>();

function compile(data: CoachData): Map<string, Compiled[]> {
	let index = compiled.get(data);
	if (index) return index;
	index = new Map();
	const split = (phrase: string) => phrase.split(' ').filter(Boolean);
	for (const rule of data.rules) {
		const words = split(rule.match);
		const entry: Compiled = { rule, words, notAfter: (rule.notAfter ?? []).map(split), notBefore: (rule.notBefore ?? []).map(split) };
		const list = index.get(words[0]) ?? [];
		list.push(entry);
		// The longest phrase at a word wins.
		list.sort((a, b) => b.words.length - a.words.length);
		index.set(words[0], list);
	}
	compiled.set(data, index);
	return index;
}

/** Lowercase, with typographic hyphens and apostrophes folded to ASCII. */
function fold(word: string): string {
	const lower = word.toLowerCase();
	return TYPOGRAPHIC.test(lower) ? lower.replace(/[\u2010\u2011]/g, '-').replace(/\u2019/g, "'") : lower;
}

/** The replacement in the case of the original: "Problems" → "Goals", "ISSUES" → "PRIORITIES". */
export function matchCase(original: string, replacement: string): string {
	const letters = original.replace(/[^\p{L}]/gu, '');
	if (letters.length > 1 && letters === letters.toUpperCase() && letters !== letters.toLowerCase()) return replacement.toUpperCase();
	const first = original.charAt(0);
	if (first !== first.toLowerCase()) return replacement.charAt(0).toUpperCase() + replacement.slice(1);
	return replacement;
}

/** Deficit-based wording in `text`, in order, not overlapping. */
export function coach(text: string, data: CoachData = coachEn): CoachHint[] {
	const index = compile(data);
	const starts: number[] = [];
	const ends: number[] = [];
	const folded: string[] = [];
	WORD.lastIndex = 0;
	for (let m = WORD.exec(text); m !== null; m = WORD.exec(text)) {
		starts.push(m.index);
		ends.push(WORD.lastIndex);
		folded.push(fold(m[0]));
	}
	const count = folded.length;
	const gap = (i: number) => text.slice(ends[i - 1], starts[i]); // between word i-1 and word i
	/** Do words `from`…`from + words.length - 1` read `words`, separated only by spaces? */
	const reads = (from: number, words: string[]) => {
		if (from < 0 || from + words.length > count) return false;
		for (let k = 0; k < words.length; k++) {
			if (folded[from + k] !== words[k]) return false;
			if (k > 0 && !SPACE_ONLY.test(gap(from + k))) return false;
		}
		return true;
	};
	const hints: CoachHint[] = [];
	for (let i = 0; i < count; i++) {
		let candidates = index.get(folded[i]);
		let possessive = false;
		if (!candidates && (folded[i].endsWith("'s") || folded[i].endsWith("s'"))) {
			candidates = index.get(folded[i].slice(0, -2));
			possessive = candidates !== undefined;
		}
		if (!candidates) continue;
		for (const entry of candidates) {
			const { rule, words } = entry;
			const last = i + words.length - 1;
			if (words.length > 1 && !reads(i, words)) continue;
			if (entry.notAfter.some((before) => reads(i - before.length, before) && SPACE_ONLY.test(gap(i)))) continue;
			if (!possessive && entry.notBefore.some((after) => reads(last + 1, after) && SPACE_ONLY.test(gap(last + 1)))) continue;
			if (rule.name && isName(i)) continue;
			const start = starts[i];
			const end = possessive ? ends[last] - 2 : ends[last];
			const word = text.slice(start, end);
			hints.push({
				start,
				end,
				word,
				suggestion: rule.suggest[0],
				suggestions: rule.suggest,
				replacement: rule.swap ? matchCase(word, rule.suggest[0]) : null
			});
			i = last;
			break;
		}
	}
	return hints;

	function isName(i: number): boolean {
		const first = text.charAt(starts[i]);
		if (first === first.toLowerCase()) return false;
		const original = text.slice(starts[i], ends[i]);
		if (original === original.toUpperCase()) return false; // SHOUTING is not a name
		if (i > 0 && data.titles.includes(folded[i - 1]) && /^\.?\s+$/.test(gap(i))) return true;
		const sentenceStart = i === 0 || SENTENCE_GAP.test(gap(i));
		return !sentenceStart;
	}
}

/** `text` with the hints' replacements put in (hints without one are left as written). */
export function applyHints(text: string, hints: readonly CoachHint[]): string {
	let out = '';
	let at = 0;
	for (const hint of [...hints].sort((a, b) => a.start - b.start)) {
		if (hint.replacement === null || hint.start < at) continue;
		out += text.slice(at, hint.start) + hint.replacement;
		at = hint.end;
	}
	return out + text.slice(at);
}

const BY_LOCALE: Record<string, CoachData> = { en: coachEn };

/** The word list for a locale ("en-GB" → en); English when there is none. */
export function coachData(locale: string): CoachData {
	return BY_LOCALE[locale] ?? BY_LOCALE[locale.split('-')[0]] ?? coachEn;
}

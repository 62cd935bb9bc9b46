/**
 * The language coach's English word list: deficit-based wording and affirmative
 * alternatives, matched by src/lib/coach.ts as whole words in any case.
 *
 * Each rule is one word form (or a short phrase of words separated by single spaces),
 * lowercase. Plurals and -ing forms are listed as their own rules so the suggestion keeps
 * the same number. `swap` means the first suggestion can replace the matched text as is
 * (same part of speech and number), so the form offers a one-click "Use …"; everything
 * else is only a hint, because the right rewording depends on the sentence.
 *
 * Hard cases, decided:
 * - "no problem", "not a problem", "no lack of": reassurance, not framing; not marked.
 * - "problem solving" / "problem-solving": a skill, an asset; not marked (the hyphenated
 *   form is one word to the matcher, so it never matches "problem").
 * - "issue" of a publication ("the May issue", "latest issue", "in this issue", "issue
 *   date") and "issue" as a verb after "to", "will", "can" …: not marked. "Issuing" and
 *   "issued" are never listed: they are verbs ("issuing permits").
 * - "poor" as a surname: a capitalized "Poor" after a title (Ms. Poor) or in mid-sentence
 *   (Janet Poor, the Poor Family Fund) is read as a name and not marked. At the start of
 *   a sentence it is marked; the coach only suggests, so a person can ignore it.
 * - A capitalized "Challenge" mid-sentence is an event's name (the Eastside Step
 *   Challenge), and so are "reading / step / walking / fitness / coding / design challenge".
 * - "special needs": marked as a phrase, suggesting "disabilities" or "access needs" (what
 *   disabled people's organizations ask for), with no one-click swap ("special needs
 *   students" needs a rewrite). "Access needs", "accessibility needs", "sensory needs" and
 *   "dietary needs" are not marked: they name what people are owed, not a deficit.
 * - "need" after "you" / "if you" ("bring what you need") and before "to" ("we need to
 *   book the hall"): ordinary speech, not marked. "Needed" is not listed ("no experience
 *   needed").
 * - "needs more X" / "need more X" → "would be strengthened by X", a clean swap.
 * - "deficit" in accounting and medicine ("budget deficit", "attention deficit") is a
 *   technical term; not marked. "Deficit-based" → "asset-based", "needs-based" →
 *   "strengths-based".
 * - "broken down / into / up / out" (results broken down by block): not marked.
 * - "at risk of X" (a building at risk of flooding) states a hazard; not marked. "At-risk
 *   youth" and "youth at risk" are.
 */
import type { CoachData, CoachRule } from '../../coach.ts';

const TITLES = ['mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'rev', 'miss', 'sister', 'brother', 'pastor', 'councilmember', 'judge'];
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const SEASONS = ['spring', 'summer', 'fall', 'autumn', 'winter', 'holiday'];
const MODALS = ['to', 'will', 'would', 'can', 'could', 'may', 'might', 'must', 'shall', 'should', 'did', 'does', 'do'];

const NOT_A_PROBLEM = ['no', 'not a', 'no big', 'not any', 'never a'];
const PUBLICATION_ISSUE = {
	notAfter: [...MONTHS, ...SEASONS, ...MODALS, 'back', 'latest', 'next', 'previous', 'last', 'current', 'special', 'first', 'inaugural', 'anniversary', 'in this', 'this month’s', "this month's", 'newsletter', 'magazine', 'journal'],
	notBefore: ['date', 'number', 'of the newsletter', 'of our newsletter', 'of the magazine', 'of the bulletin']
};
const NEED = { notAfter: ['you', 'if you', 'access', 'accessibility', 'sensory', 'dietary', 'no'], notBefore: ['to'] };
const EVENT_CHALLENGE = { name: true, notAfter: ['reading', 'step', 'walking', 'fitness', 'coding', 'design', 'cook-off', 'photo', 'bike', 'math'] };

export const rules: CoachRule[] = [
	// Phrases first in spirit: the matcher always prefers the longest rule at a word.
	{ match: 'needs more', suggest: ['would be strengthened by'], swap: true },
	{ match: 'need more', suggest: ['would be strengthened by'], swap: true },
	{ match: 'special needs', suggest: ['disabilities', 'access needs'] },
	{ match: 'needs-based', suggest: ['strengths-based', 'asset-based'], swap: true },
	{ match: 'deficit-based', suggest: ['asset-based', 'strengths-based'], swap: true },
	{ match: 'at risk', suggest: ['at-promise', 'full of promise'], notBefore: ['of'] },
	{ match: 'in need', suggest: ['seeking support', 'building toward'], notBefore: ['of'] },

	{ match: 'need', suggest: ['priority', 'hope', 'would be strengthened by'], ...NEED },
	{ match: 'needs', suggest: ['priorities', 'hopes', 'would be strengthened by'], ...NEED },
	{ match: 'needing', suggest: ['seeking', 'ready for'], ...NEED },

	{ match: 'problem', suggest: ['goal', 'opportunity'], swap: true, notAfter: NOT_A_PROBLEM, notBefore: ['solving', 'solver', 'solvers'] },
	{ match: 'problems', suggest: ['goals', 'opportunities'], swap: true, notAfter: NOT_A_PROBLEM, notBefore: ['solving', 'solver', 'solvers'] },

	{ match: 'issue', suggest: ['priority', 'topic'], swap: true, ...PUBLICATION_ISSUE },
	{ match: 'issues', suggest: ['priorities', 'topics'], swap: true, ...PUBLICATION_ISSUE },

	{ match: 'challenge', suggest: ['opportunity', 'goal'], swap: true, ...EVENT_CHALLENGE },
	{ match: 'challenges', suggest: ['opportunities', 'goals'], swap: true, ...EVENT_CHALLENGE },
	{ match: 'challenging', suggest: ['ambitious', 'worth the effort'], ...EVENT_CHALLENGE },

	{ match: 'lack', suggest: ['room to grow', 'would be strengthened by'], notAfter: ['no'] },
	{ match: 'lacks', suggest: ['would be strengthened by'], swap: true },
	{ match: 'lacking', suggest: ['ready for more', 'growing'] },

	{ match: 'deficit', suggest: ['room to grow', 'opportunity to build'], notAfter: ['budget', 'trade', 'fiscal', 'operating', 'attention', 'funding'] },
	{ match: 'deficits', suggest: ['room to grow', 'opportunities to build'], notAfter: ['budget', 'trade', 'fiscal', 'operating', 'attention', 'funding'] },
	{ match: 'deficient', suggest: ['still growing', 'ready to grow'] },
	{ match: 'deficiency', suggest: ['room to grow'] },
	{ match: 'deficiencies', suggest: ['room to grow'] },

	{ match: 'poor', suggest: ['low-income', 'under-resourced'], name: true },
	{ match: 'poorer', suggest: ['lower-income', 'less resourced'], name: true },
	{ match: 'poorest', suggest: ['lowest-income', 'least resourced'], name: true },

	{ match: 'broken', suggest: ['awaiting repair', 'ready for renewal'], notBefore: ['down', 'into', 'up', 'out', 'ground'] },

	{ match: 'at-risk', suggest: ['at-promise'], swap: true },
	{ match: 'underserved', suggest: ['underinvested', 'under-resourced'], swap: true },
	{ match: 'under-served', suggest: ['underinvested', 'under-resourced'], swap: true },
	{ match: 'disadvantaged', suggest: ['under-resourced', 'historically excluded'], swap: true },
	{ match: 'deprived', suggest: ['under-resourced', 'underinvested'], swap: true }
];

export const coachEn: CoachData = { locale: 'en', rules, titles: TITLES };

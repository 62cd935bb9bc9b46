/**
 * Display names people give themselves (no accounts): cleaned the same way by the page
 * before it sends one and by the server before it stamps it on presence and history, so
 * a name cannot smuggle invisible characters, reversed text, fake line breaks or a tower
 * of accents to pass for someone else or to break other people's screens.
 */

/** Format characters that change nothing visible but how text is joined or ordered. */
const INVISIBLE = /[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\u{e0000}-\u{e0fff}]/gu;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
/** Line and paragraph separators, and every other kind of space, become one plain space. */
const SPACES = /[\s\u2028\u2029\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/g;
/** At most this many combining marks on one letter (enough for any written language). */
const MAX_MARKS = 3;
const MARK_RUN = new RegExp(`(\\p{M}{${MAX_MARKS}})\\p{M}+`, 'gu');

/** Half of a UTF-16 pair without its other half: strict JSON readers refuse the whole document for one. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text with every lone surrogate replaced by U+FFFD. */
export function wellFormed(raw: string): string {
	return raw.replace(LONE_SURROGATE, '\ufffd');
}

/** At most MAX_MARKS combining marks on one letter. */
export function capMarks(raw: string): string {
	return raw.replace(MARK_RUN, '$1');
}

export function cleanDisplayName(raw: string, max: number): string {
	const cleaned = wellFormed(raw).normalize('NFC').replace(SPACES, ' ').replace(CONTROL, '').replace(INVISIBLE, '').replace(MARK_RUN, '$1').replace(SPACES, ' ').trim();
	return [...cleaned].slice(0, max).join('').trim();
}

/** Control characters other than line breaks and tabs. */
const CONTROL_BUT_LINES = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;

/**
 * Free text read aloud on a shared screen (check-in answers): line breaks kept, but no
 * invisible or direction-changing characters, no control characters, no towers of accents,
 * so an answer made only of zero-width spaces counts as empty and none can deface the screen.
 */
export function cleanProse(raw: string): string {
	return capMarks(wellFormed(raw).normalize('NFC').replace(CONTROL_BUT_LINES, '').replace(INVISIBLE, ''));
}

/**
 * The report's fonts: DejaVu Sans (npm `dejavu-fonts-ttf`), embedded and subset by pdfkit,
 * so text in Latin (accents, Vietnamese), Cyrillic, Greek, Armenian, Georgian, Hebrew and
 * Arabic letters prints as itself rather than through Helvetica's WinAnsi. A character
 * the font lacks (CJK, emoji) prints as the font's empty box; it never stops the report.
 * The files are read once per process.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

export const FONT_FILES = {
	regular: 'DejaVuSans.ttf',
	bold: 'DejaVuSans-Bold.ttf',
	italic: 'DejaVuSans-Oblique.ttf',
	mono: 'DejaVuSansMono.ttf'
} as const;

export type FontName = keyof typeof FONT_FILES;

let loaded: Record<FontName, Buffer> | null = null;

/** The TTF bytes of every face the report uses. */
export function fontFiles(): Record<FontName, Buffer> {
	if (!loaded) {
		const require = createRequire(import.meta.url);
		const read = (file: string) => readFileSync(require.resolve(`dejavu-fonts-ttf/ttf/${file}`));
		loaded = Object.fromEntries(Object.entries(FONT_FILES).map(([name, file]) => [name, read(file)])) as Record<FontName, Buffer>;
	}
	return loaded;
}

// C0 and C1 controls but the line feed and tab, lone surrogates, and the bidi embedding,
// override and isolate controls (which could make one name print as another).
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** User text as the report prints it: NFC, no controls, no lone surrogates, tabs as spaces. */
export function printable(text: string): string {
	return text.replace(LONE_SURROGATE, '\ufffd').normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, ' ').replace(UNPRINTABLE, '');
}

/** One line of user text: line breaks and runs of spaces become one space. */
export function oneLine(text: string): string {
	return printable(text).replace(/\s+/g, ' ').trim();
}

/** At most `max` characters (code points), cut at a word where one is near, with an ellipsis. */
export function shorten(text: string, max: number): { text: string; cut: boolean } {
	const chars = [...text];
	if (chars.length <= max) return { text, cut: false };
	let cut = chars.slice(0, max).join('');
	const space = cut.lastIndexOf(' ');
	if (space > max * 0.8) cut = cut.slice(0, space);
	return { text: `${cut.trimEnd()}…`, cut: true };
}

/**
 * Reads a PDF's text back with pdftotext (Debian package poppler-utils), as a reader's
 * search or copy would. Without pdftotext, pdfText answers null (the caller skips) after
 * one loud line, and throws under CI=true, where the text checks must run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const CI = process.env.CI === 'true' || process.env.CI === '1';
const PDFTOTEXT = [process.env.PDFTOTEXT_PATH, ...(process.env.PATH ?? '/usr/bin').split(delimiter).map((dir) => join(dir, 'pdftotext'))].find((path) => path && existsSync(path));
let warned = false;

/** `layout`: keep the page's physical layout (a table's row on one line), as `pdftotext -layout`. */
export function pdfText(bytes: Uint8Array, { layout = false } = {}): string | null {
	if (!PDFTOTEXT) {
		if (CI) throw new Error('pdftotext (Debian package poppler-utils) is required under CI=true');
		if (!warned) console.error('!!! PDF TEXT CHECKS SKIPPED: no pdftotext found (install Debian package "poppler-utils") !!!');
		warned = true;
		return null;
	}
	return execFileSync(PDFTOTEXT, [...(layout ? ['-layout'] : []), '-enc', 'UTF-8', '-', '-'], { input: bytes, maxBuffer: 256 * 1024 * 1024 }).toString('utf8');
}

/** The text without any whitespace, for sentences a layout may break anywhere (a URL, a citation). */
export const squash = (text: string) => text.replace(/\s+/g, '');

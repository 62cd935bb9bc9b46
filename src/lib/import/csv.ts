/**
 * A small CSV reader (RFC 4180): quoted cells with "" for a quote and line breaks inside,
 * CRLF, LF or CR line ends, a byte-order mark, and the separator spreadsheets write in
 * different locales — `,`, `;` (where the comma is the decimal mark) or a tab — found from
 * the header line.
 *
 * Our own rather than papaparse: importing needs only this, and the whole of it is smaller
 * than papaparse's option list (workers, streaming, type guessing, which would turn a
 * name like "1e3" into a number); every rule here has a unit test (tests/unit/import.test.ts).
 */

export const SEPARATORS = [',', ';', '\t'] as const;
export type Separator = (typeof SEPARATORS)[number];

export interface CsvTable {
	separator: Separator;
	/** Records in order; each is the cells of one row (a quoted cell may span lines). */
	rows: string[][];
}

/** The separator the header line uses most, outside quotes; a comma when there is none. */
export function detectSeparator(text: string): Separator {
	const counts = new Map<Separator, number>(SEPARATORS.map((separator) => [separator, 0]));
	let quoted = false;
	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (char === '"') quoted = !quoted;
		else if (!quoted && (char === '\n' || char === '\r')) break;
		else if (!quoted && counts.has(char as Separator)) counts.set(char as Separator, counts.get(char as Separator)! + 1);
	}
	let best: Separator = ',';
	for (const separator of SEPARATORS) if (counts.get(separator)! > counts.get(best)!) best = separator;
	return best;
}

/**
 * Reads the whole text into records. Rows that are entirely empty (a blank line, the line
 * end after the last record) are left out. A quote inside an unquoted cell is kept as it
 * is, and text after a closing quote joins the cell, as spreadsheet apps read them.
 */
export function parseCsv(input: string, separator: Separator = detectSeparator(input.replace(/^\uFEFF/, ''))): CsvTable {
	const text = input.replace(/^\uFEFF/, '');
	const rows: string[][] = [];
	let row: string[] = [];
	let cell = '';
	let quoted = false;
	/** Whether the current cell began with a quote (so an empty "" is still a cell). */
	let started = false;

	const endCell = () => {
		row.push(cell);
		cell = '';
		started = false;
	};
	const endRow = () => {
		endCell();
		if (row.length > 1 || row[0] !== '') rows.push(row);
		row = [];
	};

	for (let i = 0; i < text.length; i++) {
		const char = text[i];
		if (quoted) {
			if (char === '"') {
				if (text[i + 1] === '"') {
					cell += '"';
					i++;
				} else quoted = false;
			} else cell += char;
			continue;
		}
		if (char === '"' && cell === '' && !started) {
			quoted = true;
			started = true;
		} else if (char === separator) endCell();
		else if (char === '\r') {
			if (text[i + 1] === '\n') i++;
			endRow();
		} else if (char === '\n') endRow();
		else cell += char;
	}
	if (cell !== '' || started || row.length > 0) endRow();
	return { separator, rows };
}

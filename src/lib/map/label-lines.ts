/**
 * Breaking an asset's name into the lines of its map label. Pure (the width of a string is
 * passed in), so it is tested without a canvas. Names wrap at word boundaries to a maximum
 * width, like MapLibre's `text-max-width`; a name is cut (with "…") only past `maxLines`,
 * and a single word wider than a line is broken inside the word.
 */
export function labelLines(name: string, maxWidth: number, measure: (text: string) => number, maxLines = 3): string[] {
	const words = name.trim().split(/\s+/).filter(Boolean);
	const lines: string[] = [];
	let line = '';
	const push = (text: string) => {
		lines.push(text);
	};
	for (const word of words) {
		const candidate = line ? `${line} ${word}` : word;
		if (measure(candidate) <= maxWidth) {
			line = candidate;
			continue;
		}
		if (line) push(line);
		// A word longer than a whole line: break it by characters.
		let rest = [...word];
		while (measure(rest.join('')) > maxWidth && rest.length > 1) {
			let take = rest.length - 1;
			while (take > 1 && measure(rest.slice(0, take).join('')) > maxWidth) take--;
			push(rest.slice(0, take).join(''));
			rest = rest.slice(take);
		}
		line = rest.join('');
	}
	if (line) push(line);
	if (lines.length <= maxLines) return lines;
	const kept = lines.slice(0, maxLines);
	let last = [...`${kept[maxLines - 1]} ${lines.slice(maxLines).join(' ')}`];
	while (last.length > 1 && measure(`${last.join('')}…`) > maxWidth) last.pop();
	kept[maxLines - 1] = `${last.join('').trimEnd()}…`;
	return kept;
}

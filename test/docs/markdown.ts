/**
 * Just enough Markdown reading for test/docs.test.ts: where the code spans, links, headings and fenced blocks of
 * a document are, each with the line it is on, so a failure can point at it. Not a Markdown parser: the docs of
 * this repository use a plain subset (no nested fences, no reference-style links), and that is all it reads.
 */

export interface Found {
	text: string;
	line: number;
}

export interface Fence {
	/** What follows the opening backticks: `sh`, `json`, or nothing for a plain block (a layout, a diagram). */
	info: string;
	lines: Found[];
}

export interface MarkdownDoc {
	/** The document with every fenced block blanked out, line for line, so line numbers still hold. */
	prose: string;
	fences: Fence[];
}

const FENCE = /^\s*```(.*)$/;

export function readMarkdown(text: string): MarkdownDoc {
	const prose: string[] = [];
	const fences: Fence[] = [];
	let open: Fence | undefined;
	text.split('\n').forEach((line, index) => {
		const fence = FENCE.exec(line);
		if (fence) {
			if (open) open = undefined;
			else fences.push((open = { info: (fence[1] ?? '').trim(), lines: [] }));
			prose.push('');
		} else if (open) {
			open.lines.push({ text: line, line: index + 1 });
			prose.push('');
		} else {
			prose.push(line);
		}
	});
	return { prose: prose.join('\n'), fences };
}

function lineAt(text: string, index: number): number {
	let line = 1;
	for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) line++;
	return line;
}

function matches(text: string, pattern: RegExp, group = 1): Found[] {
	return [...text.matchAll(pattern)].map((match) => ({ text: match[group] ?? '', line: lineAt(text, match.index) }));
}

/** The contents of every inline code span (`like this`), which may run over a line break. */
export const codeSpans = (prose: string): Found[] => matches(prose, /`([^`]+)`/g);

/** The target of every inline link and image: `[text](target)` and `![alt](target)`. */
export const linkTargets = (prose: string): Found[] => matches(prose, /\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g);

/** The prose with code spans and link targets taken out: what a reader sees as running text. */
export const plainText = (prose: string): string =>
	prose.replace(/`[^`]+`/g, (span) => span.replace(/[^\n]/g, ' ')).replace(/\]\([^)\s]+\)/g, ']');

/** The anchor GitHub gives a heading: lower case, punctuation dropped, each space a hyphen. */
export function headingSlug(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s_-]/gu, '')
		.replace(/\s/g, '-');
}

/** The anchors of a document's headings. */
export function headingSlugs(prose: string): Set<string> {
	return new Set(matches(prose, /^#{1,6}\s+(.+)$/gm).map(({ text }) => headingSlug(text)));
}

const STARTS_A_STATEMENT = /^\s*(\||#{1,6}\s|[-*+]\s|\d+\.\s|<!--)/;
/** A sentence ends at . ! or ? before a capital, a code span or a bracket; "e.g." and "i.e." do not end one. */
const SENTENCE_END = /(?<!\be\.g\.|\bi\.e\.)(?<=[.!?])\s+(?=[A-Z`(*_[])/;

/** Lines grouped into statements: paragraphs and list items, and each table row or heading on its own. */
function statements(prose: string): Found[] {
	const found: Found[] = [];
	let open: Found | undefined;
	prose.split('\n').forEach((text, index) => {
		const line = index + 1;
		if (text.trim() === '') open = undefined;
		else if (!open || STARTS_A_STATEMENT.test(text) || open.text.startsWith('|')) {
			found.push((open = { text, line }));
		} else open.text += `\n${text}`;
	});
	return found;
}

/** The prose cut into sentences, each table row, heading and list item on its own, with the line each starts on. */
export function sentences(prose: string): Found[] {
	return statements(prose).flatMap(({ text, line }) => {
		const parts: Found[] = [];
		let rest = text;
		let at = line;
		for (let end = SENTENCE_END.exec(rest); end; end = SENTENCE_END.exec(rest)) {
			const sentence = rest.slice(0, end.index);
			parts.push({ text: sentence, line: at });
			at += (rest.slice(0, end.index + end[0].length).match(/\n/g) ?? []).length;
			rest = rest.slice(end.index + end[0].length);
		}
		parts.push({ text: rest, line: at });
		return parts;
	});
}

/** A Markdown table's cells (or several tables', row by row), whatever the column padding Prettier adds. */
export function tableCells(markdown: string): string[][] {
	return markdown
		.trim()
		.split('\n')
		.filter((line) => line.startsWith('|'))
		.map((line) =>
			line
				.split('|')
				.slice(1, -1)
				.map((cell) => cell.trim().replace(/^-+$/, '---'))
		);
}

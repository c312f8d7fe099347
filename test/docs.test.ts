/**
 * The docs say what is true of this repository: every path they name exists (so moving a file tells you which
 * docs to follow it), every MQTT reason code they name is one Marquee sends, the reason-code table is made from
 * the code's own list, and no benchmark figure is retyped where the bench does not write it. Pure: it reads
 * files, and needs no Harper (`npm run test:docs` runs it without the suite's).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unsourcedFigures } from './docs/figures.ts';
import { reasonCodesMarkdown, unknownReasonCodes } from './docs/mqtt-reason-codes.ts';
import { documents, missing, pathMentions, repositoryAt } from './docs/paths.ts';
import { tableCells } from './docs/markdown.ts';

const repo = repositoryAt(fileURLToPath(new URL('..', import.meta.url)));
const DOCS = documents(repo);
const read = (doc: string): string => readFileSync(`${repo.root}/${doc}`, 'utf8');

/** One line per problem, `doc:line: what`, so a failure reads as a to-do list. */
const listed = (problems: string[]): string => problems.join('\n');

describe('the paths the docs name', () => {
	it('finds paths in each doc (the rule for what counts as one still matches how the docs write them)', () => {
		for (const doc of DOCS) expect(pathMentions(repo, doc).length, doc).toBeGreaterThan(0);
	});

	it('all exist in the repository', () => {
		const problems = DOCS.flatMap((doc) =>
			pathMentions(repo, doc).flatMap((mention) => {
				const why = missing(repo, mention);
				return why ? [`${mention.doc}:${mention.line}: ${mention.text} ${why} (${mention.kind})`] : [];
			})
		);
		expect(listed(problems), 'paths named in the docs that are not in the repository').toBe('');
	});
});

describe('the MQTT reason codes the docs name', () => {
	it('are all codes src/harper/mqtt-reason-codes.ts lists, for the packet named', () => {
		const problems = DOCS.flatMap((doc) =>
			unknownReasonCodes(read(doc)).map(
				({ text, line, packet }) => `${doc}:${line}: ${text} is not a ${packet ?? 'reason'} code Marquee sends`
			)
		);
		expect(listed(problems), 'reason codes in the docs that src/harper/mqtt-reason-codes.ts does not list').toBe('');
	});

	it("docs/security.md's table is the one made from src/harper/mqtt-reason-codes.ts", () => {
		const table = /<!-- mqtt-reason-codes:start -->\n([\s\S]*?)\n<!-- mqtt-reason-codes:end -->/.exec(
			read('docs/security.md')
		)?.[1];
		expect(table, 'the table between the mqtt-reason-codes markers').toBeDefined();
		expect(tableCells(table ?? '')).toEqual(tableCells(reasonCodesMarkdown()));
	});
});

describe('the benchmark figures', () => {
	it('are only where the bench writes them, or name their source', () => {
		const problems = DOCS.filter((doc) => doc !== 'docs/benchmarks.md').flatMap((doc) =>
			unsourcedFigures(read(doc)).map(({ text, line }) => `${doc}:${line}: ${text.replace(/\s+/g, ' ')}`)
		);
		expect(listed(problems), 'measured figures retyped without their source (the bench or a test)').toBe('');
	});
});

/**
 * The docs say what is true of this repository: every path they name exists, so moving a file tells you which
 * docs to follow it. Pure: it reads files, and needs no Harper (`npm run test:docs` runs it without the suite's).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { documents, missing, pathMentions, repositoryAt } from './docs/paths.ts';

const repo = repositoryAt(fileURLToPath(new URL('..', import.meta.url)));
const DOCS = documents(repo);

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

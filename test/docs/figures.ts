/**
 * Measured figures that a document retypes instead of pointing to where they are measured. A number typed into
 * prose stays while the code it measured moves on; the bench rewrites docs/benchmarks.md and the README's
 * summary (between its bench markers) at every run, and the tests that time something keep what they saw in
 * their artifacts.
 *
 * A measured figure is a time in milliseconds (`3–12 ms`), a percentile (`p99`) or a rate of changes, publishes
 * or connections per second (`709 publishes/s`). Each must share its sentence with its source: the test that
 * measures it (`test/devices.test.ts`), or docs/benchmarks.md (or the README's #benchmarks). Limits and settings
 * (`20/s`, `keep-alive 30 s`) are not measurements and are left alone.
 */
import { readMarkdown, sentences, type Found } from './markdown.ts';

const MEASURED = /\bp(?:50|95|99)\b|\d\s?ms\b|\d\s?(?:changes|publishes|connections)\/s\b/;
const SOURCE = /test\/[\w./-]+\.test\.ts|benchmarks\.md|\(#benchmarks\)/;
const BENCH_SUMMARY = /<!-- bench:start -->[\s\S]*?<!-- bench:end -->/g;

/** The sentences of `markdown` that give a measured figure without naming where it comes from. */
export function unsourcedFigures(markdown: string): Found[] {
	const { prose } = readMarkdown(markdown);
	const outsideTheSummary = prose.replace(BENCH_SUMMARY, (summary) => summary.replace(/[^\n]/g, ' '));
	return sentences(outsideTheSummary).filter(({ text }) => MEASURED.test(text) && !SOURCE.test(text));
}

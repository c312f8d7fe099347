/**
 * Which repository paths a document names, and which of them are not there.
 *
 * What counts as naming a path (anything else is prose, a topic, a URL or a command):
 *   - a token of a code span, or a word of running text, that ends in a file extension this repository uses
 *     (`src/access/access.ts`, `docs/security.md`, `roles.yaml`), or that contains a `/` and starts with an
 *     entry of the repository's root or of the document's folder (`src/shared/display/`, `devices/simulator`);
 *     running text needs both the `/` and the extension, since "SUBACK/PUBACK" is prose there; a code span
 *     may also name a dotfile (`.env.example`)
 *   - the first word of each unindented line of a plain fenced block (the README's layout, a folder tree)
 *   - the target of a relative Markdown link or image, and its `#anchor`, which must be a heading there
 * Never a path: URLs, absolute paths, globs and placeholders (`://`, a leading `/`, `*`, `<id>`, `…`), and what git
 * ignores (build outputs such as `dist/`, which a fresh clone lacks).
 *
 * A code span or a word may be found relative to the repository's root or to the document's folder (the
 * firmware's README names its own files); a link only relative to the document, as GitHub resolves it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { codeSpans, headingSlugs, linkTargets, plainText, readMarkdown, type Found } from './markdown.ts';

const EXTENSIONS = ['ts', 'js', 'mjs', 'json', 'md', 'yaml', 'yml', 'graphql', 'html', 'css', 'png', 'svg', 'txt'];
const FIRMWARE_EXTENSIONS = ['h', 'cpp', 'ino'];
const FILE_NAME = new RegExp(`\\.(${[...EXTENSIONS, ...FIRMWARE_EXTENSIONS].join('|')})$`);
const DOTFILE = /^\.[A-Za-z][\w.-]*$/;
const NOT_A_PATH = /:\/\/|^[/~-]|[<>*?…%{}=:;@'"$\\|,()[\]]/;
const SURROUNDING_PUNCTUATION = /^[("'[]+|[)"'\].,;:!?]+$/g;

export interface PathMention extends Found {
	doc: string;
	/** How the document names it: a code span, running text, a plain fenced block, or a link. */
	kind: 'code' | 'text' | 'block' | 'link';
}

export interface Repository {
	root: string;
	/** Paths git ignores (from .gitignore): made by a build or a run, so named without being checked. */
	ignored: string[];
}

export function repositoryAt(root: string): Repository {
	const ignored = readFileSync(join(root, '.gitignore'), 'utf8')
		.split('\n')
		.map((line) => line.trim())
		.filter((line) => line !== '' && !line.startsWith('#') && !/[*?[]/.test(line));
	return { root, ignored };
}

/** Starts with a file or folder that exists at the root or in the document's folder, like `src/…`. */
function rootedIn(token: string, folders: string[]): boolean {
	const first = token.split('/')[0] ?? '';
	return first !== '' && folders.some((folder) => existsSync(join(folder, first)));
}

function looksLikePath(token: string, folders: string[], inRunningText: boolean): boolean {
	if (token === '' || NOT_A_PATH.test(token)) return false;
	if (inRunningText) return token.includes('/') && FILE_NAME.test(token);
	return FILE_NAME.test(token) || DOTFILE.test(token) || (token.includes('/') && rootedIn(token, folders));
}

const words = (text: string): string[] => text.split(/\s+/).map((word) => word.replace(SURROUNDING_PUNCTUATION, ''));

/** Every path the document at `doc` (relative to the root) names, by the rules above. */
export function pathMentions(repo: Repository, doc: string): PathMention[] {
	const { prose, fences } = readMarkdown(readFileSync(join(repo.root, doc), 'utf8'));
	const folders = [repo.root, join(repo.root, dirname(doc))];
	const mentions: PathMention[] = [];
	const note = (kind: PathMention['kind'], found: Found[], inRunningText = false): void => {
		for (const { text, line } of found)
			for (const token of words(text))
				if (looksLikePath(token, folders, inRunningText)) mentions.push({ doc, kind, text: token, line });
	};
	note('code', codeSpans(prose));
	note(
		'text',
		plainText(prose)
			.split('\n')
			.map((text, index) => ({ text, line: index + 1 })),
		true
	);
	for (const fence of fences.filter(({ info }) => info === '' || info === 'text'))
		note(
			'block',
			fence.lines
				.filter(({ text }) => /^\S/.test(text))
				.map(({ text, line }) => ({ text: text.split(/\s/)[0] ?? '', line }))
		);
	for (const { text, line } of linkTargets(prose)) {
		if (/^[a-z][a-z+.-]*:/i.test(text)) continue;
		// An anchor alone is one of this document's own headings.
		mentions.push({ doc, kind: 'link', text: text.startsWith('#') ? `${basename(doc)}${text}` : text, line });
	}
	return mentions;
}

function insideRepository(repo: Repository, path: string): boolean {
	const rel = relative(repo.root, path);
	return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..');
}

const isIgnored = (repo: Repository, path: string): boolean =>
	repo.ignored.some((entry) => path === entry || path.startsWith(entry.endsWith('/') ? entry : `${entry}/`));

/** Why `mention` does not name something in the repository, or undefined when it does. */
export function missing(repo: Repository, mention: PathMention): string | undefined {
	const [target = '', anchor] = mention.text.split('#');
	const here = join(repo.root, dirname(mention.doc));
	const bases = mention.kind === 'link' ? [here] : [repo.root, here];
	const candidates = bases.map((base) => resolve(base, decodeURI(target)));
	const found = candidates.find((path) => insideRepository(repo, path) && existsSync(path));
	if (!found) {
		if (isIgnored(repo, target)) return undefined;
		return candidates.every((path) => !insideRepository(repo, path)) ? 'is outside the repository' : 'does not exist';
	}
	if (anchor === undefined || !found.endsWith('.md')) return undefined;
	const slugs = headingSlugs(readMarkdown(readFileSync(found, 'utf8')).prose);
	return slugs.has(anchor) ? undefined : `has no heading for #${anchor}`;
}

/** The Markdown documents whose paths are checked: the README, docs/, the firmware's README and the gaps README. */
export function documents(repo: Repository): string[] {
	const docs = readdirSync(join(repo.root, 'docs'))
		.filter((name) => name.endsWith('.md'))
		.map((name) => `docs/${name}`);
	return ['README.md', ...docs, 'devices/esp32/README.md', 'src/harper/README.md'];
}

/**
 * A man page in roff (the man macros), written from a command's --help
 * text, so that the page and --help cannot say different things. The help
 * text's shape is the CLI's own (cli/command.ts's helpText): "Usage:" lines,
 * paragraphs, and blocks under a header line ("Options:", "Commands:",
 * "Environment:") whose entries are an option or a word, two spaces, and
 * what it does, continued on lines indented deeper. Anything else indented
 * is kept as it is laid out (examples, tables).
 */

export interface ManPageSource {
  /** the page's name: "moby-dick-run" */
  name: string;
  /** 1 for commands, 8 for the OCI runtime (as runc.8) */
  section: 1 | 8;
  /** the NAME line's words after the dash */
  summary: string;
  /** the --help text, "Usage:" lines first */
  help: string;
  /** shown in the footer: "moby-dick 0.1.0" */
  source: string;
  /** shell lines, each with a comment line ("# ...") before it or not */
  examples?: string;
  /** other pages, as "moby-dick-ps(1)" */
  seeAlso?: readonly string[];
}

/** TEXT as roff prints it literally: backslashes, dashes, a leading dot or quote, and non-ASCII by code point. */
export function roffText(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\e';
    else if (ch === '-') out += '\\-';
    else if (code > 0x7e) out += `\\[u${code.toString(16).toUpperCase().padStart(4, '0')}]`;
    else out += ch;
  }
  return /^[.']/.test(out) ? `\\&${out}` : out;
}

/** a help line's indentation */
const indent = (line: string): number => line.length - line.trimStart().length;

/** "Options:" and the like: a header line at the left margin */
const HEADER = /^([A-Z][a-z]*(?: [a-z]+)?):$/;

/**
 * An entry of a block: "  -a, --all   show all" or "  create   create a container". The
 * term ends at two spaces; an option's term without them ends at the first
 * word that is neither a flag nor a placeholder ("-v, --volume SRC:DST[:ro] bind a ...").
 */
function splitEntry(text: string): { term: string; what: string } {
  const gap = /\s{2,}/.exec(text);
  if (gap) return { term: text.slice(0, gap.index), what: text.slice(gap.index + gap[0].length) };
  if (!text.startsWith('-')) {
    const space = text.indexOf(' ');
    return space === -1 ? { term: text, what: '' } : { term: text.slice(0, space), what: text.slice(space + 1) };
  }
  const words = text.split(' ');
  let n = 1;
  while (n < words.length && /^(-|[^a-z]*$|\S*[=|[])/.test(words[n]!)) n++;
  return { term: words.slice(0, n).join(' '), what: words.slice(n).join(' ') };
}

interface Entry {
  term: string;
  what: string[];
}

/** The sections of the help text after its usage: [title, roff lines]. */
function bodySections(lines: readonly string[]): [string, string[]][] {
  const sections: [string, string[]][] = [['DESCRIPTION', []]];
  let out = sections[0]![1];
  let entry: Entry | undefined;
  let literal: string[] = [];
  let paragraph: string[] = [];
  let inBlock = false;
  const flushEntry = (): void => {
    if (!entry) return;
    out.push('.TP', `\\fB${roffText(entry.term)}\\fR`);
    if (entry.what.length > 0) out.push(...entry.what.map(roffText));
    entry = undefined;
  };
  const flushLiteral = (): void => {
    if (literal.length === 0) return;
    const least = Math.min(...literal.filter((l) => l.trim() !== '').map(indent));
    out.push('.PP', '.RS 4', '.nf', ...literal.map((l) => (l.trim() === '' ? '' : roffText(l.slice(least)))), '.fi', '.RE');
    literal = [];
  };
  const flushParagraph = (): void => {
    if (paragraph.length === 0) return;
    out.push('.PP', ...paragraph.map((l) => roffText(l.trim())));
    paragraph = [];
  };
  const flush = (): void => {
    flushEntry();
    flushLiteral();
    flushParagraph();
  };
  const section = (title: string): void => {
    flush();
    const same = sections.find(([t]) => t === title);
    if (same) out = same[1];
    else {
      const lines: string[] = [];
      sections.push([title, lines]);
      out = lines;
    }
  };
  lines.forEach((line, i) => {
    // a header: a short line at the margin, ending with a colon, over the indented lines of its block
    const header = HEADER.exec(line);
    if (header && /^\s+\S/.test(lines[i + 1] ?? '')) {
      section(header[1]!.toUpperCase());
      inBlock = true;
      return;
    }
    if (line.trim() === '') {
      flush();
      return;
    }
    const depth = indent(line);
    if (depth === 0) {
      flushEntry();
      flushLiteral();
      // text after a block of entries: notes on them
      if (inBlock && paragraph.length === 0) {
        section('NOTES');
        inBlock = false;
      }
      paragraph.push(line);
      return;
    }
    flushParagraph();
    const text = line.trim();
    if (entry && depth >= 10) {
      entry.what.push(text);
      return;
    }
    // an entry: an option, or in a block of entries a word and what it does
    if (depth <= 8 && (text.startsWith('-') || (inBlock && depth <= 4 && literal.length === 0))) {
      flushEntry();
      flushLiteral();
      const { term, what } = splitEntry(text);
      entry = { term, what: what === '' ? [] : [what] };
      return;
    }
    flushEntry();
    literal.push(line);
  });
  flush();
  return sections.filter(([, l]) => l.length > 0);
}

/** The usage lines of HELP ("Usage: X" and the lines under it) and the lines after them. */
function splitUsage(help: string): { usage: string[]; rest: string[] } {
  const lines = help.replace(/\n+$/, '').split('\n');
  const usage: string[] = [];
  let i = 0;
  if (lines[0]?.startsWith('Usage: ')) {
    usage.push(lines[0].slice('Usage: '.length).trim());
    for (i = 1; i < lines.length && /^ {7}\S/.test(lines[i]!); i++) usage.push(lines[i]!.trim());
  }
  return { usage, rest: lines.slice(i) };
}

/** The man page of SOURCE, in roff. */
export function manPage(source: ManPageSource): string {
  const q = (s: string): string => `"${s.replace(/"/g, "'")}"`;
  const out: string[] = [
    `.\\" generated from the command's --help by moby-dick's build (src/util/roff.ts); edit the command, not this page`,
    `.TH ${q(source.name.toUpperCase())} ${q(String(source.section))} "" ${q(source.source)} ${q(source.section === 8 ? 'System Administration' : 'User Commands')}`,
    // no hyphenation, ragged right: option values and paths stay whole
    '.nh',
    '.ad l',
    '.SH NAME',
    `${roffText(source.name)} \\- ${roffText(source.summary)}`,
  ];
  const { usage, rest } = splitUsage(source.help);
  if (usage.length > 0) {
    out.push('.SH SYNOPSIS', '.nf');
    for (const u of usage) {
      const [program, ...words] = u.split(' ');
      out.push(`\\fB${roffText(program!)}\\fR${words.length > 0 ? ` ${roffText(words.join(' '))}` : ''}`);
    }
    out.push('.fi');
  }
  for (const [title, lines] of bodySections(rest)) out.push(`.SH ${q(title)}`, ...lines);
  if (source.examples) {
    out.push('.SH EXAMPLES', '.nf', '.RS 4', ...source.examples.replace(/\n+$/, '').split('\n').map((l) => (l === '' ? '' : roffText(l))), '.RE', '.fi');
  }
  if (source.seeAlso && source.seeAlso.length > 0) {
    out.push('.SH "SEE ALSO"', source.seeAlso.map((s) => {
      const m = /^(.*)\((\d)\)$/.exec(s);
      return m ? `\\fB${roffText(m[1]!)}\\fR(${m[2]})` : roffText(s);
    }).join(',\n'));
  }
  return `${out.join('\n')}\n`;
}

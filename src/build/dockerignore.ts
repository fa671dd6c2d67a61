/**
 * .dockerignore, with Docker's rules: one pattern a line, `#` lines and
 * blank lines ignored, each pattern cleaned as a path (leading and trailing
 * `/` dropped, `.` and `..` resolved) and matched against paths relative to
 * the context's root with `*` (any run of characters but `/`), `?` (one
 * character but `/`), `[...]` classes, `\` escapes and `**` (any number of
 * directories, none too). A pattern that matches a directory excludes what
 * is under it. A line starting with `!` is an exception that puts back what
 * an earlier pattern excluded; the last pattern that matches a path
 * decides.
 */
import { posix } from 'node:path';

interface Pattern {
  exception: boolean;
  re: RegExp;
  text: string;
}

export class IgnoreRules {
  private constructor(private readonly patterns: readonly Pattern[]) {}

  /** the rules of a .dockerignore file's TEXT */
  static parse(text: string): IgnoreRules {
    const patterns: Pattern[] = [];
    for (const raw of text.split(/\r?\n/)) {
      let line = raw.trim();
      if (line === '' || line.startsWith('#')) continue;
      const exception = line.startsWith('!');
      if (exception) line = line.slice(1).trim();
      let p = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
      if (p === '.' || p === '') continue; // the context itself: Docker matches nothing with it
      patterns.push({ exception, re: compile(p), text: p });
    }
    return new IgnoreRules(patterns);
  }

  static none(): IgnoreRules {
    return new IgnoreRules([]);
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }

  /** what decides the rules, as one string (equal strings: the same rules) */
  get key(): string {
    return this.patterns.map((p) => `${p.exception ? '!' : ''}${p.text}`).join('\0');
  }

  /** whether PATH (relative to the context, '/'-separated, no leading '/') is excluded */
  excludes(path: string): boolean {
    // no rules (most contexts): nothing to split, for each of thousands of files
    if (this.patterns.length === 0) return false;
    const parents: string[] = [];
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) parents.push(parts.slice(0, i).join('/'));
    let excluded = false;
    for (const p of this.patterns) {
      // an exception only matters once something excluded the path, a pattern only while it is not
      if (p.exception !== excluded) continue;
      if (p.re.test(path) || parents.some((d) => p.re.test(d))) excluded = !p.exception;
    }
    return excluded;
  }

  /**
   * Whether a directory DIR that is excluded may still hold something an
   * exception puts back (its walk must go on): an exception pattern that
   * starts with DIR/ or has wildcards.
   */
  mayInclude(dir: string): boolean {
    return this.patterns.some((p) => p.exception && (p.text.startsWith(`${dir}/`) || /[*?[\\]/.test(p.text)));
  }
}

/** PATTERN as an anchored regular expression */
function compile(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end);
        if (cls.startsWith('^') || cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        re += `[${cls.replace(/\\(?!.)/g, '\\\\')}]`;
        i = end;
      }
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`);
}

function escapeRe(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? `\\${c}` : c;
}

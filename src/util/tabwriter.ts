/**
 * Go's text/tabwriter (elastic tabstops), as Docker's CLI sets it up for
 * tables: tabwriter.NewWriter(out, 10, 1, 3, ' ', 0). A cell ends at a tab;
 * the text after a line's last tab is not part of a column. Each column of a
 * block of consecutive lines that have it is as wide as its widest cell plus
 * 3, and at least 10. Widths count terminal columns (wide characters as 2),
 * as Docker's copy of tabwriter does with go-runewidth.
 */

/** marks and format characters: no column of their own */
const ZERO_WIDTH = /\p{Mn}|\p{Me}|\p{Cf}/u;

/** Terminal columns of TEXT: East Asian wide and fullwidth characters and emoji count 2, combining marks 0. */
export function displayWidth(text: string): number {
  // ASCII (every header, most cells): a column a character, without the
  // Unicode property classes, whose compiling cost `ps` about 1.3 ms of
  // every start (a compiled RegExp is not kept in the startup snapshot)
  let ascii = true;
  for (let i = 0; i < text.length && ascii; i++) ascii = text.charCodeAt(i) < 0x7f;
  if (ascii) return text.length;
  let w = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (ZERO_WIDTH.test(ch)) continue;
    const wide =
      (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) || (cp >= 0x3041 && cp <= 0x33ff) ||
      (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
      (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0xfe30 && cp <= 0xfe4f) ||
      (cp >= 0xff00 && cp <= 0xff60) || (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
      (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd);
    w += wide ? 2 : 1;
  }
  return w;
}

export interface TabwriterOptions {
  minwidth: number;
  padding: number;
}

/** Docker's: minwidth 10, padding 3, padded with spaces. */
export const DOCKER_TABLE: TabwriterOptions = { minwidth: 10, padding: 3 };

interface Cell {
  text: string;
  width: number;
}

export function tabwrite(text: string, options: TabwriterOptions = DOCKER_TABLE): string {
  const rawLines = text.split('\n');
  const lines: Cell[][] = rawLines.map((l) => l.split('\t').map((t) => ({ text: t, width: displayWidth(t) })));
  const widths: number[] = [];
  let out = '';

  const writeLines = (line0: number, line1: number): void => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i]!;
      line.forEach((c, j) => {
        out += c.text;
        if (j < widths.length) out += ' '.repeat(Math.max(0, widths[j]! - c.width));
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  const format = (line0: number, line1: number): void => {
    const column = widths.length;
    let start = line0;
    for (let self = line0; self < line1; self++) {
      if (column >= lines[self]!.length - 1) continue;
      writeLines(start, self);
      start = self;
      let width = options.minwidth;
      for (; self < line1; self++) {
        const line = lines[self]!;
        if (column >= line.length - 1) break;
        width = Math.max(width, line[column]!.width + options.padding);
      }
      widths.push(width);
      format(start, self);
      widths.pop();
      start = self;
      self--;
    }
    writeLines(start, line1);
  };

  format(0, lines.length);
  return out;
}

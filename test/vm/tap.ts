/** Reading what `node --test --test-reporter=tap` printed inside the VM. */

export interface TapResult {
  ok: boolean;
  name: string;
  /** the YAML block after it: the error, where */
  details: string;
}

/** The leaf results of node's TAP output (suites' own lines, four spaces less indented, left out). */
export function tapResults(tap: string): TapResult[] {
  const out: TapResult[] = [];
  const lines = tap.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^ {4}(not )?ok \d+ - (.*)$/.exec(lines[i]!);
    if (!m) continue;
    let details = '';
    for (let j = i + 1; j < lines.length && /^ {6}/.test(lines[j]!); j++) details += `${lines[j]!.slice(6)}\n`;
    out.push({ ok: !m[1], name: m[2]!, details });
  }
  return out;
}

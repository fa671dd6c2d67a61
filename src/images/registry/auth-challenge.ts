/**
 * WWW-Authenticate challenges (RFC 7235): `Bearer realm="...",service="...",
 * scope="..."` or `Basic realm="..."`, possibly several in one header.
 * Parameter values may be quoted strings with backslash escapes, and the
 * commas inside a quoted scope ("repository:a/b:pull,push") do not split.
 */

export interface Challenge {
  /** lower-case: "bearer", "basic" */
  scheme: string;
  /** parameter names lower-cased */
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+/;

export function parseChallenges(header: string): Challenge[] {
  const out: Challenge[] = [];
  let s = header;
  let current: Challenge | undefined;
  const skip = (re: RegExp): void => {
    s = s.replace(re, '');
  };
  while (s.length > 0) {
    skip(/^[\s,]+/);
    if (s.length === 0) break;
    const tok = TOKEN.exec(s);
    if (!tok) break; // malformed from here on: keep what was read
    const word = tok[0];
    const rest = s.slice(word.length);
    const param = /^\s*=\s*/.exec(rest);
    if (param && current && !/^\s*=\s*=/.test(rest)) {
      // name=value of the current challenge
      s = rest.slice(param[0].length);
      let value: string;
      if (s.startsWith('"')) {
        let i = 1;
        value = '';
        while (i < s.length && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < s.length) i++;
          value += s[i];
          i++;
        }
        s = s.slice(i + 1);
      } else {
        const v = /^[^\s,]*/.exec(s)![0];
        value = v;
        s = s.slice(v.length);
      }
      current.params[word.toLowerCase()] = value;
    } else {
      // a new scheme (token68 values, as Negotiate uses, are skipped)
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
      s = rest;
      const token68 = /^\s+([A-Za-z0-9\-._~+/]+=*)\s*(?:,|$)/.exec(s);
      if (token68 && !/^\s+[!#$%&'*+\-.^_`|~0-9A-Za-z]+\s*=[^=]/.test(s)) s = s.slice(token68[0].length);
    }
  }
  return out;
}

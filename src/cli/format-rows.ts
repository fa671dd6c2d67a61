/**
 * `--format` of the list commands this file serves (system df, and what
 * joins it): "table" (or none) for the command's own table, "json" for a
 * JSON object per row, else a Go template per row (go-template.ts's
 * renderTemplate; a leading "table " is dropped, with no header yet).
 */
import { renderTemplate } from './go-template.js';

export function formatRows(rows: readonly object[], format: string | undefined, table: () => string): string {
  if (format === undefined || format === '' || format === 'table') return table();
  if (format === 'json') return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
  const template = format.startsWith('table ') ? format.slice(6) : format;
  return rows.map((r) => `${renderTemplate(template, r)}\n`).join('');
}

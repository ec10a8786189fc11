/**
 * CSV (RFC 4180) that a spreadsheet opens safely: a cell beginning with = + - @ (or a tab or a
 * carriage return) would be read as a formula, so it is prefixed with an apostrophe (OWASP's
 * advice against CSV injection); cells with a comma, a quote or a line break are quoted.
 */
export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

function cell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

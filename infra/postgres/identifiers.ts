/** An identifier as SQL text: double-quoted, its own double quotes doubled (names built into DDL and COPY, never values). */
export function quoteIdentifier(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/**
 * Errors as ops may see them: what failed and where, never the values involved. A database error
 * is the place its values leak from: knex prefixes the SQL (its bindings only when
 * compileSqlOnError is on, which createKnex turns off), PostgreSQL quotes the offending input in
 * many messages (`invalid input syntax for type uuid: "…"`, `value "…" is out of range`) and the
 * key in `detail` (`Key (email)=(…) already exists`). So of a database error only the SQL, the
 * SQLSTATE and where (schema, table, column, constraint) are kept: PostgreSQL's own text, `detail`,
 * `where` and `hint` are dropped, since no pattern list could catch every message that quotes a
 * value. Other errors keep their message with quoted values masked. The stack stays: it is code.
 */
export interface SafeError {
  readonly type: string;
  readonly message: string;
  readonly code?: string;
  readonly schema?: string;
  readonly table?: string;
  readonly column?: string;
  readonly constraint?: string;
  readonly stack?: string;
}

const MAX_MESSAGE = 2000;

export function safeError(error: unknown): SafeError {
  if (!(error instanceof Error)) return { type: typeof error, message: 'a non-Error value was thrown' };
  const fields: Record<string, string> = {};
  for (const name of ['code', 'schema', 'table', 'column', 'constraint'] as const) {
    const value = (error as unknown as Record<string, unknown>)[name];
    if (typeof value === 'string') fields[name] = value;
  }
  const message = (isDatabaseError(error) ? withoutPostgresText(error) : maskValues(error.message)).slice(0, MAX_MESSAGE);
  return { type: error.constructor.name || error.name, message, ...fields, ...(error.stack ? { stack: maskValues(error.stack) } : {}) };
}

/** One line for a status table: the kind of error, its SQLSTATE and where, and its masked message. */
export function describeError(error: unknown): string {
  const e = safeError(error);
  const where = [e.schema && e.table ? `${e.schema}.${e.table}` : e.table, e.column, e.constraint].filter(Boolean).join(' ');
  return [e.type, e.code ? `(${e.code})` : '', where ? `on ${where}` : '', `: ${e.message}`].filter(Boolean).join(' ').replace(' :', ':');
}

/** A PostgreSQL error (pg's DatabaseError): a severity and a five-character SQLSTATE. */
function isDatabaseError(error: Error): error is Error & { code: string } {
  const e = error as unknown as Record<string, unknown>;
  return typeof e.severity === 'string' && typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code);
}

/** knex's `SQL - message`: the SQL (placeholders, no bindings) stays, PostgreSQL's text goes. */
function withoutPostgresText(error: Error & { code: string }): string {
  const cut = error.message.lastIndexOf(' - ');
  return `${cut >= 0 ? `${error.message.slice(0, cut)} - ` : ''}PostgreSQL error ${error.code}`;
}

/** Values quoted after a colon in other errors' messages are masked; identifiers stay. */
function maskValues(text: string): string {
  return text
    .replace(/(for type [\w ."[\]]+?: )"(?:[^"\\]|\\.)*"/g, '$1"…"')
    .replace(/(out of range: )"(?:[^"\\]|\\.)*"/g, '$1"…"')
    .replace(/(Key \()([^)]*)(\)=\()([^)]*)(\))/g, '$1$2$3…$5');
}

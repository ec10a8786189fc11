import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Knex } from 'knex';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { quoteIdentifier } from './identifiers.js';

type Row = Readonly<Record<string, unknown>>;
type Encode = (value: unknown) => string;

/** Text sent per write to the COPY stream: large enough to be few writes, small enough not to hold a page's rows twice. */
const CHUNK_CHARS = 1 << 20;

/**
 * Loads rows into a table with COPY … FROM STDIN on the transaction's own connection: the bulk path
 * of a table that only its loader writes (a rebuild's fresh copy). It does what an INSERT of the
 * same values would (each value goes through its column type's input function, as jsonb_to_recordset
 * does for the keyed writes), without ON CONFLICT: a duplicate key fails it with 23505.
 *
 * `types` are the columns' types as format_type() writes them (TableShapes), which decide how a
 * value is spelled: arrays as array literals, json as JSON text, everything in COPY's text format.
 */
export async function copyRows(trx: Knex.Transaction, table: string, columns: readonly string[], rows: readonly Row[], types: ReadonlyMap<string, string>): Promise<void> {
  if (rows.length === 0) return;
  const encoders = columns.map((column) => {
    const type = types.get(column);
    if (!type) throw new Error(`Unknown column ${column} of ${table}`);
    return encoderFor(type);
  });
  const client = await connectionOf(trx);
  const copy = client.query(copyFrom(`COPY ${table} (${columns.map(quoteIdentifier).join(', ')}) FROM STDIN`));
  await pipeline(Readable.from(lines(rows, columns, encoders)), copy);
}

function* lines(rows: readonly Row[], columns: readonly string[], encoders: readonly Encode[]): Generator<string> {
  let chunk = '';
  for (const row of rows) {
    let line = '';
    for (let i = 0; i < columns.length; i++) {
      const value = row[columns[i] as string];
      line += (i === 0 ? '' : '\t') + (value === null || value === undefined ? '\\N' : escapeCopy((encoders[i] as Encode)(value)));
    }
    chunk += line + '\n';
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * knex hands a transaction's own connection to whoever acquires one through it (and never releases
 * it). Anything else would hand out a pooled connection: the rows would commit on their own, and the
 * connection would never go back to the pool.
 */
async function connectionOf(trx: Knex.Transaction): Promise<pg.ClientBase> {
  if (!trx.isTransaction || trx.isCompleted()) throw new Error('copyRows runs inside an open transaction');
  const client = trx.client as { acquireConnection(): Promise<pg.ClientBase> };
  return client.acquireConnection();
}

function encoderFor(type: string): Encode {
  if (type.endsWith('[]')) return arrayLiteral;
  if (type === 'json' || type === 'jsonb') return (value) => JSON.stringify(value);
  return scalar;
}

function scalar(value: unknown): string {
  if (typeof value === 'string') return value;
  // Spelled as JSON does, which is what the keyed writes send: the same text in a text column.
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`Cannot load the number ${value}`);
    return String(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  // An object for a column that is neither json nor an array: what its text input makes of JSON.
  return JSON.stringify(value);
}

/** A one-dimensional array as PostgreSQL's array input reads it: every element quoted, NULL bare. */
function arrayLiteral(value: unknown): string {
  // Already an array literal (what jsonb_to_recordset needs for an array column too).
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) throw new Error(`Expected an array, not ${typeof value}`);
  const elements = value.map((element: unknown) => {
    if (element === null || element === undefined) return 'NULL';
    if (Array.isArray(element)) throw new Error('Nested arrays are not loaded');
    return `"${scalar(element).replace(/[\\"]/g, '\\$&')}"`;
  });
  return `{${elements.join(',')}}`;
}

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** COPY's text format: backslash, tab, newline and carriage return written as escapes. */
function escapeCopy(text: string): string {
  return SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c] ?? c) : text;
}

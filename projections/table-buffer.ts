import type { Knex } from 'knex';
import { copyRows } from '../infra/postgres/copy-rows.js';
import type { TableTarget } from './projection.js';
import { quoteIdentifier } from '../infra/postgres/identifiers.js';

type Row = Readonly<Record<string, unknown>>;

type Pending =
  | { readonly kind: 'insert'; row: Record<string, unknown>; readonly updated: Set<string> }
  | { readonly kind: 'replace'; row: Record<string, unknown>; readonly updated: Set<string> }
  | { readonly kind: 'update'; fields: Record<string, unknown> }
  | { readonly kind: 'delete'; readonly key: Row };

/**
 * Collects one projection batch's writes to a table by primary key and sends them as a few
 * set-based statements (one JSON parameter each, expanded with jsonb_to_recordset) instead of one
 * round trip per event: a booking's whole life inside one batch becomes a single insert.
 *
 * The result equals applying the operations one by one: insert = insert-or-ignore, update sets
 * absolute values, delete removes. An update to a row inserted in the batch is folded into it (and
 * kept as DO UPDATE, so an already-present row gets the same values); an update after a delete does
 * nothing, as it would in SQL.
 */
export class TableBuffer {
  private readonly pending = new Map<string, Pending>();
  private readonly table: string;
  /** A rebuild's fresh table, which nobody else writes: inserts are loaded with COPY (see bulkInsert). */
  private readonly bulk: boolean;

  constructor(
    private readonly trx: Knex.Transaction,
    target: TableTarget,
    liveTable: string,
    private readonly keyColumns: readonly string[],
    private readonly shapes: TableShapes,
  ) {
    this.table = target(liveTable);
    this.bulk = target.fresh === true;
  }

  /** Keeps `row` itself (later updates are folded into it): pass a fresh object. */
  insert(row: Record<string, unknown>): void {
    const id = this.idOf(row);
    const current = this.pending.get(id);
    if (!current) this.pending.set(id, { kind: 'insert', row, updated: new Set() });
    else if (current.kind === 'delete') this.pending.set(id, { kind: 'replace', row, updated: new Set() });
    else if (current.kind === 'update') throw new Error(`${this.table}: insert after update of ${id} in one batch is ambiguous; flush first`);
    // insert after insert: the first one stands, like ON CONFLICT DO NOTHING.
  }

  update(key: Row, fields: Row): void {
    const id = this.idOf(key);
    const current = this.pending.get(id);
    // Object.assign, not a spread of both: V8 merges two objects by spread ten times slower.
    if (!current) this.pending.set(id, { kind: 'update', fields: Object.assign({}, key, fields) });
    else if (current.kind === 'update') Object.assign(current.fields, fields);
    else if (current.kind === 'insert' || current.kind === 'replace') {
      Object.assign(current.row, fields);
      for (const column of Object.keys(fields)) current.updated.add(column);
    }
  }

  delete(key: Row): void {
    this.pending.set(this.idOf(key), { kind: 'delete', key: this.pick(key) });
  }

  /** Writes everything collected, deletes first (a replace deletes then inserts), then inserts, then updates. */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    const entries = [...this.pending.values()];
    this.pending.clear();
    const types = await this.shapes.columnTypes(this.trx, this.table);
    const deletes = entries.flatMap((p) => (p.kind === 'delete' ? [p.key] : p.kind === 'replace' ? [this.pick(p.row)] : []));
    if (deletes.length > 0) {
      const matches = this.keyColumns.map((c) => `t.${quoteIdentifier(c)} = v.${quoteIdentifier(c)}`).join(' AND ');
      await this.trx.raw(`DELETE FROM ${this.table} AS t USING ${recordset(this.keyColumns, types)} WHERE ${matches}`, [JSON.stringify(deletes)]);
    }
    const inserts = entries.flatMap((p) => (p.kind === 'insert' || p.kind === 'replace' ? [p] : []));
    if (!(this.bulk && (await this.bulkInsert(inserts, types)))) await this.keyedInsert(inserts, types);
    const updates = entries.flatMap((p) => (p.kind === 'update' ? [p.fields] : []));
    for (const group of groupBy(updates, (fields) => Object.keys(fields).join(','))) {
      const first = group[0];
      if (!first) continue;
      const columns = Object.keys(first);
      const sets = columns.filter((c) => !this.keyColumns.includes(c)).map((c) => `${quoteIdentifier(c)} = v.${quoteIdentifier(c)}`).join(', ');
      const matches = this.keyColumns.map((c) => `t.${quoteIdentifier(c)} = v.${quoteIdentifier(c)}`).join(' AND ');
      await this.trx.raw(`UPDATE ${this.table} AS t SET ${sets} FROM ${recordset(columns, types)} WHERE ${matches}`, [JSON.stringify(group)]);
    }
  }

  /** Insert-or-ignore, or insert-or-set the columns updated after the insert in this batch. */
  private async keyedInsert(inserts: readonly InsertLike[], types: ReadonlyMap<string, string>): Promise<void> {
    // Rows alike whose later updates came in the same order share a statement (the same events, in order, give the same order).
    for (const group of groupBy(inserts, (p) => (p.updated.size === 0 ? columnsKey(p.row) : `${columnsKey(p.row)}|${[...p.updated].join(',')}`))) {
      const first = group[0];
      if (!first) continue;
      const columns = Object.keys(first.row);
      const list = columns.map(quoteIdentifier).join(', ');
      const onConflict = first.updated.size === 0
        ? 'DO NOTHING'
        : `DO UPDATE SET ${[...first.updated].map((c) => `${quoteIdentifier(c)} = EXCLUDED.${quoteIdentifier(c)}`).join(', ')}`;
      await this.trx.raw(
        `INSERT INTO ${this.table} (${list}) SELECT ${list} FROM ${recordset(columns, types)} ON CONFLICT (${this.keyColumns.map(quoteIdentifier).join(', ')}) ${onConflict}`,
        [JSON.stringify(group.map((p) => p.row))],
      );
    }
  }

  /**
   * COPY into a fresh table, where a key is new unless an event was recorded twice. Then the copy
   * fails on the key, is rolled back to before it, and false sends the rows the keyed way, which
   * gives the rows applying them in place would.
   */
  private async bulkInsert(inserts: readonly InsertLike[], types: ReadonlyMap<string, string>): Promise<boolean> {
    if (inserts.length === 0) return true;
    await this.trx.raw('SAVEPOINT table_buffer_copy');
    try {
      for (const group of groupBy(inserts, (p) => columnsKey(p.row))) {
        const first = group[0];
        if (first) await copyRows(this.trx, this.table, Object.keys(first.row), group.map((p) => p.row), types);
      }
    } catch (error) {
      if ((error as { code?: unknown }).code !== UNIQUE_VIOLATION) throw error;
      await this.trx.raw('ROLLBACK TO SAVEPOINT table_buffer_copy');
      return false;
    }
    await this.trx.raw('RELEASE SAVEPOINT table_buffer_copy');
    return true;
  }

  private idOf(row: Row): string {
    const [only] = this.keyColumns;
    if (this.keyColumns.length === 1 && only !== undefined) return String(row[only]);
    let id = '';
    for (const column of this.keyColumns) id += `${String(row[column])}\u0000`;
    return id;
  }

  private pick(row: Row): Row {
    const key: Record<string, unknown> = {};
    for (const column of this.keyColumns) key[column] = row[column];
    return key;
  }
}

/** Column types of the tables buffers write, read once from the catalog (a table's shape is fixed while we run). */
export class TableShapes {
  private readonly known = new Map<string, ReadonlyMap<string, string>>();

  async columnTypes(db: Knex | Knex.Transaction, table: string): Promise<ReadonlyMap<string, string>> {
    const cached = this.known.get(table);
    if (cached) return cached;
    const result = await db.raw<{ rows: { name: string; type: string }[] }>(
      'SELECT attname AS name, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped',
      [table],
    );
    const types = new Map(result.rows.map((r) => [r.name, r.type]));
    this.known.set(table, types);
    return types;
  }
}

type InsertLike = Extract<Pending, { kind: 'insert' | 'replace' }>;

const UNIQUE_VIOLATION = '23505';

/** A row's column list, the same string for rows built alike (grouping them into one statement). */
function columnsKey(row: Row): string {
  let key = '';
  for (const column in row) key += `${column},`;
  return key;
}

function recordset(columns: readonly string[], types: ReadonlyMap<string, string>): string {
  const definition = columns.map((c) => {
    const type = types.get(c);
    if (!type) throw new Error(`Unknown column ${c}`);
    return `${quoteIdentifier(c)} ${type}`;
  });
  return `jsonb_to_recordset(?::jsonb) AS v(${definition.join(', ')})`;
}


function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}

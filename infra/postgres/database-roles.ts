/**
 * The PostgreSQL roles of the product (created by migration 0010). Cluster-wide names: databases of
 * one cluster share them, each database grants them its own tables.
 */
export const DATABASE_ROLES = {
  /** The API's therapist reads: every read model, rows of the tenant set for the transaction only. */
  api: 'psicopay_api',
  /** The public answers: the calendar's public columns, a booking's status through read.public_booking(id). */
  public: 'psicopay_public',
  /** Analysts: read-only SQL on every read model, nothing else. Logs in (see `analyst url`). */
  analyst: 'psicopay_analyst',
} as const;

export type DatabaseRole = (typeof DATABASE_ROLES)[keyof typeof DATABASE_ROLES];

/** The setting row-level security reads the tenant from, set per transaction with set_config(…, true). */
export const TENANT_SETTING = 'psicopay.tenant';

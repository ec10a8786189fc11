import type { Sealed } from '../../domain/shared/personal-data.js';
import type { EventDecoder, Projection } from '../../projections/projection.js';
import { createProjections, decodeEvent } from '../../projections/registry.js';

/**
 * The service's projections and decoder. The bench writes its contacts in the legacy (plaintext)
 * form, so they open without a key store; the cost of unsealing is not part of this measure.
 */
export function loadProjections(): Promise<{ projections: readonly Projection[]; decode: EventDecoder }> {
  const open = <T>(_trx: unknown, values: readonly (Sealed | { readonly legacy: T })[]) => Promise.resolve(values.map((v) => ('legacy' in v ? v.legacy : null)));
  return Promise.resolve({ projections: createProjections({ open }), decode: decodeEvent });
}

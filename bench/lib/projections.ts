import type { EventDecoder, Projection } from '../../projections/projection.js';

/**
 * The service's projections and decoder, whichever way the registry exposes them: a `projections`
 * list or a `createProjections()` factory (the registry is being reworked while this suite grows).
 */
export async function loadProjections(): Promise<{ projections: readonly Projection[]; decode: EventDecoder }> {
  const registry = (await import('../../projections/registry.js')) as Record<string, unknown>;
  const factory = registry.createProjections;
  const list = typeof factory === 'function' ? (factory as () => unknown)() : registry.projections;
  const decode = registry.decodeEvent;
  if (!Array.isArray(list) || typeof decode !== 'function') throw new Error('projections/registry.ts exports neither projections nor createProjections(), or no decodeEvent');
  return { projections: list as readonly Projection[], decode: decode as EventDecoder };
}

import type { Request } from 'express';
import type { z } from 'zod';
import { ValidationFailed, type FieldIssue } from '../../domain/shared/domain-error.js';
import { BadRequest } from './problem.js';

export function issuesOf(error: z.ZodError): FieldIssue[] {
  const fieldOf = (path: readonly PropertyKey[]) => (path.length ? path.map(String).join('.') : '(root)');
  // An unknown field is named as the field it is, so the client sees which one to drop.
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldOf([...issue.path, key]), message: 'Unknown field: this request does not take it' }))
      : [{ field: fieldOf(issue.path), message: issue.message }],
  );
}

/**
 * The path of the first string holding a lone UTF-16 surrogate (`"\ud800"` is valid JSON but no
 * text PostgreSQL can store), or undefined.
 */
function illFormedString(body: unknown): string | undefined {
  // A stack, not recursion: 100 kB of JSON nests 50 000 levels deep, past the call stack.
  const pending: { value: unknown; path: string }[] = [{ value: body, path: '' }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { value, path } = next;
    if (typeof value === 'string') {
      if (!value.isWellFormed()) return path || '(body)';
    } else if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      if (entries.some(([key]) => !key.isWellFormed())) return path || '(body)';
      for (const [key, inner] of entries.reverse()) pending.push({ value: inner, path: path ? `${path}.${key}` : key });
    }
  }
  return undefined;
}

/** Request bodies that are JSON but break the field rules are a 422, field by field. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const body: unknown = req.body ?? {};
  const broken = illFormedString(body);
  if (broken) throw new BadRequest([{ field: broken, message: 'Contains invalid Unicode (a lone surrogate)' }]);
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new ValidationFailed(issuesOf(parsed.error), 'Some fields are invalid');
  return parsed.data;
}

/** Malformed query strings and path parameters are a 400. */
export function parseQuery<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequest(issuesOf(parsed.error), 'Some query parameters are invalid');
  return parsed.data;
}

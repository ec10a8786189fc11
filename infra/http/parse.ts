import type { Request } from 'express';
import type { z } from 'zod';
import { ValidationFailed, type FieldIssue } from '../../domain/shared/domain-error.js';
import { BadRequest } from './problem.js';

export function issuesOf(error: z.ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({ field: issue.path.length ? issue.path.join('.') : '(root)', message: issue.message }));
}

/** Request bodies that are JSON but break the field rules are a 422, field by field. */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success) throw new ValidationFailed(issuesOf(parsed.error), 'Some fields are invalid');
  return parsed.data;
}

/** Malformed query strings and path parameters are a 400. */
export function parseQuery<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new BadRequest(issuesOf(parsed.error), 'Some query parameters are invalid');
  return parsed.data;
}

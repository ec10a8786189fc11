import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { DomainError, ValidationFailed, type FieldIssue } from '../../domain/shared/domain-error.js';
import { WrongExpectedRevision } from '../event-store/event-store.js';

const TYPE_BASE = 'https://psicopay.com/problems/';

/** A malformed request (bad JSON, bad query string, bad path parameter): HTTP 400, field by field. */
export class BadRequest extends Error {
  override readonly name = 'BadRequest';
  constructor(readonly issues: readonly FieldIssue[], message = 'The request is malformed') {
    super(message);
  }
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly [extension: string]: unknown;
}

export function sendProblem(req: Request, res: Response, problem: Problem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({ ...problem, instance: req.originalUrl, requestId: res.locals.requestId as string | undefined });
}

const statusOf: Record<DomainError['kind'], number> = { validation: 422, not_found: 404, conflict: 409, forbidden: 403, unauthorized: 401 };
const titleOf: Record<DomainError['kind'], string> = {
  validation: 'Unprocessable request',
  not_found: 'Not found',
  conflict: 'Conflict',
  forbidden: 'Forbidden',
  unauthorized: 'Unauthorized',
};

export function problemFor(error: unknown): Problem | undefined {
  if (error instanceof BadRequest) {
    return { type: `${TYPE_BASE}bad-request`, title: 'Bad request', status: 400, detail: error.message, code: 'bad_request', errors: error.issues };
  }
  if (error instanceof ValidationFailed) {
    return { type: `${TYPE_BASE}validation-failed`, title: titleOf.validation, status: 422, detail: error.message, code: error.code, errors: error.issues };
  }
  if (error instanceof DomainError) {
    const details = 'details' in error && typeof error.details === 'object' && error.details !== null ? error.details : {};
    return { ...details, type: `${TYPE_BASE}${error.code.replace(/_/g, '-')}`, title: titleOf[error.kind], status: statusOf[error.kind], detail: error.message, code: error.code };
  }
  if (error instanceof WrongExpectedRevision) {
    // Retries were exhausted under heavy contention: the client may simply try again.
    return { type: `${TYPE_BASE}concurrent-modification`, title: 'Conflict', status: 409, detail: 'The calendar changed while the request was being decided; please retry', code: 'concurrent_modification' };
  }
  if (isBodyParserError(error)) {
    const message = error.type === 'entity.too.large' ? 'The request body is too large' : 'The request body is not valid JSON';
    return { type: `${TYPE_BASE}bad-request`, title: 'Bad request', status: error.status, detail: message, code: 'bad_request', errors: [{ field: '(body)', message }] };
  }
  const status = clientErrorStatus(error);
  if (status !== undefined) {
    // Express and its body parser reject what they cannot read (bad percent-encoding in a path,
    // an unknown Content-Encoding or charset) with a 4xx status of their own.
    return { type: `${TYPE_BASE}bad-request`, title: 'Bad request', status, detail: 'The request could not be read', code: 'bad_request', errors: [{ field: '(request)', message: 'The request could not be read' }] };
  }
  return undefined;
}

function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = 'status' in error ? error.status : 'statusCode' in error ? error.statusCode : undefined;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

interface BodyParserError {
  readonly type: string;
  readonly status: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return typeof error === 'object' && error !== null && 'type' in error && 'status' in error && typeof error.type === 'string' && error.type.startsWith('entity.');
}

/** The one place errors become responses. Unknown errors are logged in full and answered without internals. */
export function problemMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const problem = problemFor(error);
    if (problem) {
      if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer');
      sendProblem(req, res, problem);
      return;
    }
    // The path only: a query string can carry what someone searched for (a name, a phone).
    logger.error({ err: error, requestId: res.locals.requestId as string | undefined, method: req.method, path: req.path }, 'unhandled error');
    sendProblem(req, res, { type: `${TYPE_BASE}internal`, title: 'Internal Server Error', status: 500, detail: 'Something went wrong on our side; the request id identifies it in our logs', code: 'internal_error' });
  };
}

export const notFoundRoute: RequestHandler = (req, res) => {
  sendProblem(req, res, { type: `${TYPE_BASE}route-not-found`, title: 'Not found', status: 404, detail: `No route for ${req.method} ${req.path}`, code: 'route_not_found' });
};

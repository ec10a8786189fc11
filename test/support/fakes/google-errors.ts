/** Google's answers as the fake sends them. */
const REASONS: Record<number, { reason: string; message: string; status: string; domain?: string }> = {
  400: { reason: 'badRequest', message: 'Bad Request', status: 'INVALID_ARGUMENT' },
  403: { reason: 'forbidden', message: 'Forbidden', status: 'PERMISSION_DENIED' },
  404: { reason: 'notFound', message: 'Not Found', status: 'NOT_FOUND' },
  409: { reason: 'duplicate', message: 'The requested identifier already exists.', status: 'ALREADY_EXISTS' },
  410: { reason: 'deleted', message: 'Resource has been deleted', status: 'NOT_FOUND' },
  429: { reason: 'rateLimitExceeded', message: 'Rate Limit Exceeded', status: 'RESOURCE_EXHAUSTED', domain: 'usageLimits' },
  500: { reason: 'backendError', message: 'Backend Error', status: 'INTERNAL' },
  503: { reason: 'backendError', message: 'Backend Error', status: 'UNAVAILABLE' },
};
const MESSAGES: Record<string, string> = {
  insufficientPermissions: 'Request had insufficient authentication scopes.',
  rateLimitExceeded: 'Rate Limit Exceeded',
  userRateLimitExceeded: 'User Rate Limit Exceeded',
  quotaExceeded: 'Calendar usage limits exceeded.',
};
const USAGE_LIMITS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'quotaExceeded', 'dailyLimitExceeded']);

export interface Reply {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Google's error JSON for the Calendar API (the v1 envelope: code, message, errors[], status). */
export function googleError(code: number, reason?: string, message?: string, retryAfter?: number): Reply {
  const known = REASONS[code] ?? { reason: 'unknown', message: 'Error', status: 'UNKNOWN' };
  const why = reason ?? known.reason;
  const text = message ?? MESSAGES[why] ?? (why === known.reason ? known.message : why);
  const domain = USAGE_LIMITS.has(why) ? 'usageLimits' : (known.domain ?? 'global');
  return {
    status: code,
    body: { error: { code, message: text, errors: [{ domain, reason: why, message: text }], status: known.status } },
    ...(retryAfter === undefined ? {} : { headers: { 'Retry-After': String(retryAfter) } }),
  };
}

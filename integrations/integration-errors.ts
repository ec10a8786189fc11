/**
 * How a failed call to the outside world is classified, whatever the vendor: the dispatcher retries
 * the transient ones with backoff, records the permanent ones, and tells the therapist about a grant
 * that no longer works. Messages never carry personal data (they are logged and shown to ops).
 */
export class TransientIntegrationFailure extends Error {
  override readonly name = 'TransientIntegrationFailure';
  constructor(
    message: string,
    /** The provider's Retry-After, when it gave one. */
    readonly retryAfterMs: number | null = null,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

export class PermanentIntegrationFailure extends Error {
  override readonly name: string = 'PermanentIntegrationFailure';
  constructor(
    message: string,
    readonly status: number | null = null,
  ) {
    super(message);
  }
}

/** The therapist's authorisation is gone (revoked, expired refresh token, 403 on scopes): they must reconnect. */
export class GrantRevoked extends PermanentIntegrationFailure {
  override readonly name = 'GrantRevoked';
}

/** The provider does not know the thing asked for (e.g. a payment id from a forged notification). */
export class NotFoundAtProvider extends PermanentIntegrationFailure {
  override readonly name = 'NotFoundAtProvider';
}

/**
 * Errors the domain raises on purpose. Each kind maps to one HTTP status in the problem+json
 * middleware; anything that is not a DomainError is an unexpected failure and never leaks its message.
 */
export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `rules.2.endTime`. */
  readonly field: string;
  readonly message: string;
}

export abstract class DomainError extends Error {
  abstract readonly kind: 'validation' | 'not_found' | 'conflict' | 'forbidden' | 'unauthorized';
  /** Stable machine-readable code, e.g. `slot_unavailable`. */
  abstract readonly code: string;
}

/** The request is well-formed but breaks a business rule about its own fields (HTTP 422). */
export class ValidationFailed extends DomainError {
  readonly kind = 'validation';
  readonly code = 'validation_failed';
  constructor(readonly issues: readonly FieldIssue[], message = 'The request breaks a business rule') {
    super(message);
  }
}

export class NotFound extends DomainError {
  readonly kind = 'not_found';
  readonly code: string;
  constructor(readonly entity: string, readonly id: string, message = `${entity} ${id} was not found`) {
    super(message);
    this.code = `${entity}_not_found`;
  }
}

/** The command contradicts the current state (HTTP 409). `details` travels to the client. */
export class Conflict extends DomainError {
  readonly kind = 'conflict';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }
}

export class Forbidden extends DomainError {
  readonly kind = 'forbidden';
  readonly code = 'forbidden';
}

export class Unauthorized extends DomainError {
  readonly kind = 'unauthorized';
  readonly code = 'unauthorized';
}

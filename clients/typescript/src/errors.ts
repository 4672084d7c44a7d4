// Typed errors for tenantd's RFC 9457 problem answers (application/problem+json).

/** One field a `validation_failed` answer names. */
export interface FieldError {
  field: string;
  message: string;
}

/** The body of every tenantd error answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  /** Stable snake_case code, e.g. `sku_taken`, `rate_limited` (docs/api.md lists them). */
  code: string;
  detail: string;
  request_id: string;
  errors?: FieldError[];
}

/** A problem answer of tenantd, thrown by every client call that gets one. */
export class ProblemError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly requestId: string;
  readonly problem: Problem;
  readonly response: Response;

  constructor(problem: Problem, response: Response) {
    super(`${problem.status} ${problem.code}: ${problem.detail}`);
    this.name = new.target.name;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.requestId = problem.request_id;
    this.problem = problem;
    this.response = response;
  }
}

/** 401: missing or refused credentials (`invalid_signature`, `key_revoked`, …). */
export class UnauthorizedError extends ProblemError {}
/** 403: authenticated but not allowed (`insufficient_scope`, `tenant_suspended`, …). */
export class ForbiddenError extends ProblemError {}
/** 404 `not_found` (also another tenant's id). */
export class NotFoundError extends ProblemError {}
/** 409: a conflict (`sku_taken`, `slug_taken`, …). */
export class ConflictError extends ProblemError {}
/** 412 `precondition_failed`: the If-Match version is stale. */
export class PreconditionFailedError extends ProblemError {}
/** 422: the body failed validation; `fieldErrors` names each field. */
export class ValidationError extends ProblemError {
  get fieldErrors(): FieldError[] {
    return this.problem.errors ?? [];
  }
}
/** 429 `rate_limited`: wait `retryAfterSeconds` before the next request. */
export class RateLimitedError extends ProblemError {
  get retryAfterSeconds(): number {
    return Number(this.response.headers.get('Retry-After') ?? '1');
  }
}

const byStatus: Record<number, typeof ProblemError> = {
  401: UnauthorizedError,
  403: ForbiddenError,
  404: NotFoundError,
  409: ConflictError,
  412: PreconditionFailedError,
  422: ValidationError,
  429: RateLimitedError,
};

/** The typed error for a problem answer (a ProblemError for other statuses). */
export function problemError(problem: Problem, response: Response): ProblemError {
  const Type = byStatus[problem.status] ?? ProblemError;
  return new Type(problem, response);
}

/** Reads a failed answer as a problem; answers that are not problem+json get a synthetic one. */
export async function toProblemError(response: Response): Promise<ProblemError> {
  const text = await response.clone().text();
  let problem: Problem | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object' && 'code' in parsed && 'status' in parsed) {
      problem = parsed as Problem;
    }
  } catch {
    // not JSON: described below
  }
  problem ??= {
    type: 'about:blank',
    title: response.statusText,
    status: response.status,
    code: 'http_' + response.status,
    detail: text.slice(0, 200),
    request_id: response.headers.get('X-Request-Id') ?? '',
  };
  return problemError(problem, response);
}

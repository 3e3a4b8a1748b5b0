// The one error catalog. Every error k8ts raises on purpose is a K8tsError with a stable code;
// each code maps to a Kubernetes metav1.Status (reason + HTTP code) so the API server can
// answer any failure with a proper Status instead of a bare 500.

export interface StatusCause {
  reason?: string;
  message?: string;
  field?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  uid?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** Kubernetes StatusReason values (metav1.StatusReason) paired with their HTTP codes. */
export const StatusReasons = {
  BadRequest: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  MethodNotAllowed: 405,
  NotAcceptable: 406,
  AlreadyExists: 409,
  Conflict: 409,
  Gone: 410,
  Expired: 410,
  RequestEntityTooLarge: 413,
  UnsupportedMediaType: 415,
  Invalid: 422,
  TooManyRequests: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
  Timeout: 504,
} as const;

export type StatusReason = keyof typeof StatusReasons;

/** Catalog: error code -> Kubernetes reason. Codes are stable identifiers for callers and tests. */
export const ErrorCatalog = {
  // storage
  KeyExists: 'AlreadyExists',
  KeyNotFound: 'NotFound',
  RevisionConflict: 'Conflict',
  Compacted: 'Expired',
  FutureRevision: 'Timeout',
  ValueTooLarge: 'RequestEntityTooLarge',
  InvalidKey: 'BadRequest',
  StoreClosed: 'ServiceUnavailable',
  StoreUnavailable: 'ServiceUnavailable',
  // container runtime (CRI)
  RuntimeUnavailable: 'ServiceUnavailable',
  // api
  BadRequest: 'BadRequest',
  NotFound: 'NotFound',
  AlreadyExists: 'AlreadyExists',
  Conflict: 'Conflict',
  Invalid: 'Invalid',
  Gone: 'Gone',
  Expired: 'Expired',
  MethodNotAllowed: 'MethodNotAllowed',
  NotAcceptable: 'NotAcceptable',
  UnsupportedMediaType: 'UnsupportedMediaType',
  RequestEntityTooLarge: 'RequestEntityTooLarge',
  TooManyRequests: 'TooManyRequests',
  ServiceUnavailable: 'ServiceUnavailable',
  Forbidden: 'Forbidden',
  Unauthorized: 'Unauthorized',
  Timeout: 'Timeout',
  Internal: 'InternalError',
} as const satisfies Record<string, StatusReason>;

export type ErrorCode = keyof typeof ErrorCatalog;

export class K8tsError extends Error {
  readonly code: ErrorCode;
  readonly reason: StatusReason;
  readonly httpStatus: number;
  readonly details?: StatusDetails;

  constructor(code: ErrorCode, message: string, details?: StatusDetails) {
    super(message);
    this.name = `K8tsError(${code})`;
    this.code = code;
    this.reason = ErrorCatalog[code];
    this.httpStatus = StatusReasons[this.reason];
    this.details = details;
  }

  /** The metav1.Status object the API server sends for this error. */
  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.httpStatus,
    };
    if (this.details && Object.keys(this.details).length > 0) status.details = this.details;
    return status;
  }
}

export function isK8tsError(err: unknown, code?: ErrorCode): err is K8tsError {
  return err instanceof K8tsError && (code === undefined || err.code === code);
}

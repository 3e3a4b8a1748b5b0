// Errors the API server answers with (a metav1.Status body) turned into K8tsErrors that keep the
// server's reason, HTTP code, message and details, plus the predicates controllers branch on.
import {
  ErrorCatalog,
  type ErrorCode,
  K8tsError,
  type StatusDetails,
  type StatusReason,
  StatusReasons,
} from '../errors.js';

const codeByHttp: Record<number, ErrorCode> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'Internal',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The catalog code for a server reason: the code named like the reason, else the one for the HTTP code. */
function codeFor(reason: string | undefined, httpStatus: number): ErrorCode {
  if (reason === 'InternalError') return 'Internal';
  if (reason && reason in ErrorCatalog && ErrorCatalog[reason as ErrorCode] === reason)
    return reason as ErrorCode;
  return codeByHttp[httpStatus] ?? (httpStatus >= 500 ? 'Internal' : 'BadRequest');
}

export interface RequestDescription {
  method: string;
  path: string;
}

/** A failed API call. `httpStatus` is the server's code; `status` is the Status body when there was one. */
export class ApiError extends K8tsError {
  /** The metav1.Status the server sent, if the body was one. */
  readonly status?: Record<string, any>;
  /** The reason string exactly as the server sent it ('' when none). */
  readonly serverReason: string;
  readonly request?: RequestDescription;

  constructor(
    httpStatus: number,
    message: string,
    status?: Record<string, any>,
    request?: RequestDescription,
  ) {
    const reason = typeof status?.reason === 'string' ? status.reason : '';
    super(codeFor(reason, httpStatus), message, status?.details as StatusDetails | undefined);
    this.name = `ApiError(${httpStatus}${reason ? ` ${reason}` : ''})`;
    this.status = status;
    this.serverReason = reason;
    this.request = request;
    // Keep the server's code and reason even where the catalog maps them differently.
    Object.defineProperty(this, 'httpStatus', { value: httpStatus });
    if (reason in StatusReasons) Object.defineProperty(this, 'reason', { value: reason as StatusReason });
  }

  /** From a response: a Status body when the server sent one, else the raw text. */
  static fromResponse(httpStatus: number, body: string, request?: RequestDescription): ApiError {
    let status: Record<string, any> | undefined;
    try {
      const parsed = JSON.parse(body);
      if (parsed && typeof parsed === 'object' && parsed.kind === 'Status') status = parsed;
    } catch {
      // not JSON
    }
    const where = request ? ` (${request.method} ${request.path})` : '';
    const message =
      typeof status?.message === 'string' && status.message !== ''
        ? status.message
        : `the server responded with HTTP ${httpStatus}${where}${body ? `: ${body.slice(0, 200)}` : ''}`;
    return new ApiError(
      typeof status?.code === 'number' ? status.code : httpStatus,
      message,
      status,
      request,
    );
  }

  /** From a Status object carried in a watch ERROR event. */
  static fromStatus(status: Record<string, any>, request?: RequestDescription): ApiError {
    const code = typeof status.code === 'number' ? status.code : 500;
    return new ApiError(code, String(status.message ?? status.reason ?? 'watch error'), status, request);
  }
}

function httpStatusOf(err: unknown): number | undefined {
  return err instanceof K8tsError ? err.httpStatus : undefined;
}

function reasonOf(err: unknown): string | undefined {
  if (err instanceof ApiError) return err.serverReason || err.reason;
  return err instanceof K8tsError ? err.reason : undefined;
}

export function isNotFound(err: unknown): boolean {
  return httpStatusOf(err) === 404;
}

export function isAlreadyExists(err: unknown): boolean {
  return reasonOf(err) === 'AlreadyExists';
}

/** 409 Conflict proper (a stale resourceVersion or failed precondition), not AlreadyExists. */
export function isConflict(err: unknown): boolean {
  return httpStatusOf(err) === 409 && reasonOf(err) !== 'AlreadyExists';
}

/** 410: the resourceVersion or continue token is too old (reason Expired or Gone). */
export function isExpired(err: unknown): boolean {
  return httpStatusOf(err) === 410;
}

export function isInvalid(err: unknown): boolean {
  return httpStatusOf(err) === 422;
}

export function isForbidden(err: unknown): boolean {
  return httpStatusOf(err) === 403;
}

export function isTooManyRequests(err: unknown): boolean {
  return httpStatusOf(err) === 429;
}

/** Worth retrying as is: throttling, timeouts, unavailability and transport failures. */
export function isRetryable(err: unknown): boolean {
  const code = httpStatusOf(err);
  if (code === undefined) return true;
  return code === 429 || code === 500 || code === 503 || code === 504;
}

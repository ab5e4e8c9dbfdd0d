// The Kubernetes StatusReason for an HTTP code, for Status objects we write
// (the proxy's own errors) and for error bodies that are not a Status (the
// client's errors from intermediaries). 502 has no reason of its own in
// Kubernetes; ServiceUnavailable says what it means here: retry later.
const reasons: Record<number, string> = {
  400: 'BadRequest', 401: 'Unauthorized', 403: 'Forbidden', 404: 'NotFound', 405: 'MethodNotAllowed',
  406: 'NotAcceptable', 409: 'Conflict', 410: 'Gone', 413: 'RequestEntityTooLarge', 415: 'UnsupportedMediaType',
  422: 'Invalid', 429: 'TooManyRequests', 500: 'InternalError', 502: 'ServiceUnavailable', 503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function statusReason(code: number): string {
  return reasons[code] ?? 'Unknown';
}

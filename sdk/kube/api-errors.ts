/** Reading client-node's errors: the HTTP status and the API server's message. */

/** The HTTP status of a failed API call (client-node's `ApiException.code`), or undefined. */
export function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (typeof code === 'number' && code >= 100) return code;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}

/**
 * One line for a failed API call. client-node's ApiException carries the Status as a JSON string
 * for codes its generated client does not know, and only a `Message:` line for the ones it knows.
 */
export function describeApiError(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { body, message } = error as { body?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : String(error);
  const code = httpStatusOf(error);
  if (code === undefined) return text;
  let detail = /\nMessage: ([^\n]*)/.exec(text)?.[1] ?? '';
  if (typeof body === 'string') {
    try {
      detail = String((JSON.parse(body) as { message?: unknown }).message ?? body);
    } catch {
      detail = body;
    }
  }
  return `HTTP ${code}${detail ? `: ${detail}` : ''}`;
}

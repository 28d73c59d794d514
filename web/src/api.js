// The app talks only to the documented API, on the same origin, with the session cookie.
// Unsafe methods carry X-CSRF-Token (docs/security.md); GETs are retried on 5xx (see fetchq.js). A failure
// is an ApiError with a Chinese message (the server's, or errors.js by status; status 0 = network).
import { fetchPolitely } from './fetchq.js';
import { errorMessage } from './errors.js';

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

/** The CSRF header for requests that do not go through api() (multipart uploads). */
export function csrfHeaders() {
  return csrfToken ? { 'X-CSRF-Token': csrfToken } : {};
}

export class ApiError extends Error {
  // kind: the server's error class (e.g. PasswordExpiredError), when the answer was the platform's own
  constructor(message, status, kind = null) {
    super(message);
    this.status = status;
    this.kind = kind;
  }
}

export async function api(path, { method = 'GET', body, signal, headers: extra = {} } = {}) {
  const headers = { Accept: 'application/json, application/geo+json, application/schema+json', ...extra };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const init = { method, headers, signal, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) };
  let response;
  try {
    response = method === 'GET' ? await fetchPolitely(path, init) : await fetch(path, init);
  } catch (error) {
    if (error.name === 'AbortError') throw error;
    throw new ApiError(errorMessage(0), 0); // no answer at all: server down or network out
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    // The server's own message is Chinese and specific (onemap.errors); a proxy's or a crash's is not.
    const own = typeof data?.message === 'string' && /[\u4e00-\u9fff]/.test(data.message);
    throw new ApiError(own ? data.message : errorMessage(response.status), response.status,
      own && typeof data.error === 'string' ? data.error : null);
  }
  return data;
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

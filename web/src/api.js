// The app talks only to the documented API, on the same origin, with the session cookie.
// Unsafe methods carry X-CSRF-Token (docs/security.md); GETs are retried on 5xx (see fetchq.js).
import { fetchWithRetry } from './fetchq.js';

let csrfToken = null;

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = 'GET', body, signal } = {}) {
  const headers = { Accept: 'application/json, application/geo+json, application/schema+json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const init = { method, headers, signal, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body) };
  const response = method === 'GET' ? await fetchWithRetry(path, init) : await fetch(path, init);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(data?.message || `请求失败(HTTP ${response.status})`, response.status);
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

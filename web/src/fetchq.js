// Tile fetches through a small queue. A server error is never retried: it is a bug to see, not to hide.
// Only an overloaded server's answer (503, or 429) with Retry-After is honoured: the request waits the
// seconds the server asked for (bounded) and is sent once more.
const MAX_PARALLEL = 3;
const OVERLOADED = new Set([429, 503]);
const MAX_WAIT_SECONDS = 10;
let running = 0;
const waiting = [];

function next() {
  if (running >= MAX_PARALLEL || !waiting.length) return;
  running += 1;
  const { url, resolve, reject } = waiting.shift();
  fetchPolitely(url).then(resolve, reject).finally(() => {
    running -= 1;
    next();
  });
}

/** Seconds an overloaded server asked to wait (Retry-After in seconds), or null when it did not ask. */
function retryAfter(response) {
  if (!OVERLOADED.has(response.status)) return null;
  const seconds = Number(response.headers.get('Retry-After'));
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, MAX_WAIT_SECONDS) : null;
}

/** fetch() of an idempotent request that waits once as an overloaded server asks (503/429 + Retry-After). */
export async function fetchPolitely(url, init = { credentials: 'same-origin' }) {
  const response = await fetch(url, init);
  const seconds = retryAfter(response);
  if (seconds === null) return response;
  await new Promise((r) => setTimeout(r, seconds * 1000 + Math.random() * 250));
  return fetch(url, init);
}

export function queuedFetch(url) {
  return new Promise((resolve, reject) => {
    waiting.push({ url, resolve, reject });
    next();
  });
}

/** Forget the fetches still waiting (tiles of a view that is gone, e.g. after switching the map projection). */
export function dropQueued() {
  for (const { reject } of waiting.splice(0)) reject(new Error('dropped'));
}

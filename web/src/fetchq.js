// Tile fetches through a small queue with retries: the embedded GeoPackage store answers some
// concurrent requests with HTTP 500 (a SQLite connection crossing threads on the server), so a
// tile that fails with 5xx is fetched again after a short pause instead of leaving a hole.
const MAX_PARALLEL = 3;
const RETRIES = 5;
let running = 0;
const waiting = [];

function next() {
  if (running >= MAX_PARALLEL || !waiting.length) return;
  running += 1;
  const { url, resolve, reject } = waiting.shift();
  fetchWithRetry(url).then(resolve, reject).finally(() => {
    running -= 1;
    next();
  });
}

/** fetch() that retries an idempotent request answered with 5xx. */
export async function fetchWithRetry(url, init = { credentials: 'same-origin' }) {
  for (let attempt = 0; ; attempt += 1) {
    const response = await fetch(url, init);
    if (response.status < 500 || attempt >= RETRIES) return response;
    await new Promise((r) => setTimeout(r, 50 * 2 ** attempt + Math.random() * 50));
  }
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

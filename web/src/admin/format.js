// Shared bits of the admin pages: Chinese labels (labels.json), times in the node's zone, a status line.
import labels from './labels.json';
import { h } from '../dom.js';

export const actionLabel = (action) => (labels.actions[action] ? `${labels.actions[action]}(${action})` : action);
export const resultLabel = (result) => labels.results[result] || result;
export const jobLabel = (status) => labels.jobs[status] || status;
export const JOB_STATES = Object.keys(labels.jobs);

// times (when, instant) are in the node's zone: see ../localtime.js
export { instant, when, zoned } from '../localtime.js';

/** A status line: `say(text)` for news, `say(text, true)` for an error. */
export function statusLine(id) {
  const el = h('p', { class: 'admin-status', id, role: 'status' });
  el.say = (text, error = false) => {
    el.textContent = text;
    el.classList.toggle('error', error);
  };
  return el;
}

export function table(id, headers) {
  const body = h('tbody');
  const el = h('div', { class: 'admin-table-wrap' },
    h('table', { class: 'results admin-table', id }, h('thead', {}, h('tr', {}, headers.map((t) => h('th', {}, t)))), body));
  el.body = body;
  return el;
}

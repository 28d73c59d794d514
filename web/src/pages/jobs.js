// What the business pages share: a progress bar fed by the job API (/ogc/jobs/{id}), multipart uploads
// with the CSRF token, small tables and a Chinese file picker.
import { api, ApiError, csrfHeaders } from '../api.js';
import { clear, h } from '../dom.js';
import { errorMessage } from '../errors.js';

const POLL_MS = 300;
const FINAL = new Set(['successful', 'failed', 'dismissed']);

/** A progress bar: set(percent, message) while a job runs, finish(ok, message) at its end. */
export function progressBar(id) {
  const fill = h('div', { class: 'progress-fill' });
  const text = h('span', { class: 'progress-text' });
  const bar = h('div', { class: 'progress', id, hidden: true, role: 'progressbar', 'aria-valuemin': '0',
    'aria-valuemax': '100' }, fill, text);
  bar.set = (percent, message) => {
    const value = Math.max(0, Math.min(100, Math.round(percent)));
    bar.hidden = false;
    bar.classList.remove('failed');
    fill.style.width = `${value}%`;
    bar.setAttribute('aria-valuenow', String(value));
    bar.dataset.progress = String(value);
    text.textContent = `${value}% ${message || ''}`;
  };
  bar.finish = (ok, message) => {
    bar.set(ok ? 100 : Number(bar.dataset.progress || 0), message);
    bar.classList.toggle('failed', !ok);
    bar.dataset.state = ok ? 'done' : 'failed';
  };
  bar.reset = () => {
    bar.hidden = true;
    delete bar.dataset.state;
    bar.set(0, '');
    bar.hidden = true;
  };
  return bar;
}

/** POST a multipart form; the JSON answer, or an ApiError with the server's Chinese message. */
export async function upload(path, form) {
  let response;
  try {
    response = await fetch(path, { method: 'POST', body: form, credentials: 'same-origin', headers: csrfHeaders() });
  } catch {
    throw new ApiError(errorMessage(0), 0);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const own = typeof body?.message === 'string' && /[\u4e00-\u9fff]/.test(body.message);
    throw new ApiError(own ? body.message : errorMessage(response.status), response.status);
  }
  return body;
}

/** Follow a job until it ends, reporting progress; resolves with its results, rejects with its message. */
export async function followJob(jobId, bar) {
  const path = `/ogc/jobs/${encodeURIComponent(jobId)}`;
  for (;;) {
    const job = await api(path);
    bar?.set(job.progress ?? 0, job.message || '');
    if (FINAL.has(job.status)) {
      if (job.status !== 'successful') {
        bar?.finish(false, job.message);
        throw new ApiError(job.message || '任务失败', 0);
      }
      const results = await api(`${path}/results`);
      bar?.finish(true, '完成');
      return results;
    }
    await new Promise((resolve) => { setTimeout(resolve, POLL_MS); });
  }
}

/**
 * Read `fetcher()` until `fresh(value)` holds (at most ~3 s): the server's opened stores keep their catalog
 * for up to a second (CATALOG_TTL), so right after a job wrote a new version a read may still show the old one.
 */
export async function untilFresh(fetcher, fresh) {
  let value = await fetcher();
  for (let i = 0; i < 10 && !fresh(value); i += 1) {
    await new Promise((resolve) => { setTimeout(resolve, 300); });
    value = await fetcher();
  }
  return value;
}

/** A file picker whose button and "no file" text are Chinese whatever the browser's language. */
export function filePicker(id, accept, title) {
  const chosen = h('span', { class: 'muted file-name' }, '未选择文件');
  const input = h('input', { type: 'file', accept, id, hidden: true,
    onchange: () => { chosen.textContent = input.files[0]?.name || '未选择文件'; } });
  const element = h('div', { class: 'line file-line' },
    h('label', { class: 'button file-pick', title }, '选择文件…', input), chosen);
  element.input = input;
  element.reset = () => { input.value = ''; chosen.textContent = '未选择文件'; };
  return element;
}

/** A table from column titles and rows of cells (text or elements). */
export function table(columns, rows, attrs = {}) {
  return h('div', { class: 'results-wrap' }, h('table', { class: 'results', ...attrs },
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', {}, c)))),
    h('tbody', {}, rows.map((row) => (row instanceof Node ? row
      : h('tr', {}, row.map((cell) => h('td', {}, cell === null || cell === undefined ? '' : cell))))))));
}

export const line = (label, control) => h('label', { class: 'line' }, label, control);

/** A status line for errors and notices (role alert, so screen readers hear refusals). */
export function statusLine(id) {
  const element = h('p', { class: 'page-status', id, role: 'alert' });
  element.error = (message) => { element.className = 'page-status error'; element.textContent = message; };
  element.info = (message) => { element.className = 'page-status'; element.textContent = message; };
  element.clear = () => { element.className = 'page-status'; clear(element); };
  return element;
}

/** A tab in the top bar that opens `element` (with refresh()) in the right-hand panel. */
export function installTab({ panel, tabs }, id, title, element) {
  tabs.append(h('button', { type: 'button', 'data-tab': id, class: 'business' }, title));
  tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]');
    if (tab?.dataset.tab !== id) return;
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b === tab);
    element.refresh?.();
    panel.show(title, element, { wide: true });
  });
}

/**
 * Run an OGC API process as a job (Prefer: respond-async) and follow it with `bar`; resolves with its
 * results. A server that answers synchronously anyway gives the results at once.
 */
export async function runProcess(processId, inputs, bar) {
  bar?.set(0, '提交任务…');
  const answer = await api(`/ogc/processes/${encodeURIComponent(processId)}/execution`,
    { method: 'POST', body: { inputs }, headers: { Prefer: 'respond-async' } });
  if (!answer?.jobID) {
    bar?.finish(true, '完成');
    return answer;
  }
  return followJob(answer.jobID, bar);
}

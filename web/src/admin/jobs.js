// 后台任务 (jobs:admin): every user's jobs of every kind with their progress; an unfinished one can be
// cancelled. The administrator sees no inputs or results (三员分立). While jobs run, the list follows them.
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';
import { JOB_STATES, jobLabel, statusLine, table, when, zoned } from './format.js';

const FOLLOW_MS = 2000;

function progress(job) {
  return h('div', { class: 'job-progress', title: `${job.progress}%` },
    h('div', { class: 'bar-fill', style: `width: ${Math.max(0, Math.min(100, job.progress))}%` }), h('span', {}, `${job.progress}%`));
}

export function jobsPage() {
  const status = statusLine('jobs-status');
  const state = h('select', { name: 'status', id: 'jobs-state' }, h('option', { value: '' }, '全部状态'),
    JOB_STATES.map((s) => h('option', { value: s }, jobLabel(s))));
  const owner = h('input', { name: 'owner', placeholder: '用户名', id: 'jobs-owner' });
  const list = table('jobs-table', ['处理服务', '用户', '状态', '进度', '信息', zoned('创建时间'), zoned('结束时间'), '操作']);
  let timer = null;

  const cancel = async (job) => {
    if (!window.confirm(`撤销 ${job.owner} 的任务“${job.title}”?`)) return;
    try {
      await api(`/api/admin/jobs/${encodeURIComponent(job.id)}/cancel`, { method: 'POST' });
      status.say(`已撤销任务 ${job.title}(${job.owner})`);
    } catch (error) {
      status.say(error.message, true);
    }
    await load();
  };

  async function load() {
    clearTimeout(timer);
    let jobs;
    try {
      jobs = await api(`/api/admin/jobs${query({ status: state.value, owner: owner.value.trim() })}`);
    } catch (error) {
      status.say(error.message, true);
      return;
    }
    clear(list.body, jobs.length ? jobs.map((j) => h('tr', { 'data-job': j.id, 'data-status': j.status },
      h('td', { title: j.process }, j.title), h('td', {}, j.owner), h('td', {}, jobLabel(j.status)), h('td', {}, progress(j)),
      h('td', {}, j.message), h('td', {}, when(j.created)), h('td', {}, when(j.finished)),
      h('td', {}, j.cancellable ? h('button', { type: 'button', class: 'job-cancel', onclick: () => cancel(j) }, '撤销') : '')))
      : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, '没有任务')));
    if (jobs.some((j) => j.cancellable) && element.isConnected && !element.closest('[hidden]')) timer = setTimeout(load, FOLLOW_MS);
  }

  state.addEventListener('change', () => load());
  const element = h('div', { class: 'admin-page column', id: 'admin-jobs-page' },
    h('div', { class: 'line admin-tools' }, state, owner, h('button', { type: 'button', onclick: () => load() }, '刷新')), list, status);
  element.load = load;
  element.stop = () => clearTimeout(timer);
  return element;
}

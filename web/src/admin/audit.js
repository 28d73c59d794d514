// 审计日志 (审计管理员): the trail filtered by user, action, object and time, and the hash-chain check.
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';
import { actionLabel, instant, resultLabel, statusLine, table, when, zoned } from './format.js';
import labels from './labels.json';

// The verify answer may carry its own Chinese `message`; otherwise say what the fields mean.
function verdict(answer) {
  if (typeof answer?.message === 'string' && answer.message) return answer.message;
  if (answer?.ok) return `校验通过:审计日志哈希链完整${answer.count !== undefined ? `,共 ${answer.count} 条` : ''}`;
  return `校验未通过:审计日志可能被篡改${answer?.first_bad_id ? `(第一条异常记录 id=${answer.first_bad_id})` : ''}`;
}

const detailText = (detail) => (detail ? JSON.stringify(detail) : '');

export function auditPage(info) {
  const can = (action) => info.granted.includes(action);
  const status = statusLine('audit-status');
  const verifyLine = statusLine('audit-verify');
  const actions = h('datalist', { id: 'audit-actions' }, Object.keys(labels.actions).map((a) => h('option', { value: a }, labels.actions[a])));
  const input = (name, label, attrs = {}) => h('label', {}, label, h('input', { name, ...attrs }));
  const limit = h('select', { name: 'limit' }, [100, 500, 1000].map((n) => h('option', { value: n }, `${n} 条`)));
  const list = table('audit-table', ['编号', zoned('时间'), '用户', 'IP', '操作', '对象', '结果', '详情']);
  const form = h('form', { class: 'admin-filter', id: 'audit-filter', onsubmit: (event) => { event.preventDefault(); load(); } },
    input('username', '用户', { placeholder: '用户名' }), input('action', '操作', { list: 'audit-actions', placeholder: '如 user.lock' }),
    input('object', '对象', { placeholder: '包含,如 user:zhangsan、DLTB' }),
    input('since', '起(含)', { type: 'datetime-local', step: 1 }), input('until', '止(不含)', { type: 'datetime-local', step: 1 }),
    h('label', {}, '最多', limit), h('button', { type: 'submit', class: 'primary', id: 'audit-search' }, '查询'),
    can('audit:verify') ? h('button', { type: 'button', id: 'audit-verify-button', onclick: () => verify() }, '校验哈希链') : null,
    actions);

  async function load() {
    const data = new FormData(form);
    const params = { username: data.get('username').trim(), action: data.get('action').trim(), object: data.get('object').trim(),
      since: instant(data.get('since')), until: instant(data.get('until')), limit: data.get('limit') };
    status.say('查询中…');
    let rows;
    try {
      rows = await api(`/api/audit${query(params)}`);
    } catch (error) {
      status.say(`查询失败:${error.message}`, true);
      return;
    }
    clear(list.body, rows.length ? rows.map((r) => h('tr', { 'data-id': r.id, class: `result-${r.result}` },
      h('td', {}, r.id), h('td', {}, when(r.at)), h('td', {}, r.username), h('td', {}, r.ip), h('td', {}, actionLabel(r.action)),
      h('td', {}, r.object), h('td', { class: 'result' }, resultLabel(r.result)),
      h('td', { class: 'detail', title: detailText(r.detail) }, detailText(r.detail))))
      : h('tr', {}, h('td', { colspan: 8, class: 'empty' }, '没有符合条件的记录')));
    status.say(`共 ${rows.length} 条(最新在前;本次查询也记入审计日志)`);
  }

  async function verify() {
    verifyLine.say('校验中…');
    try {
      const answer = await api('/api/audit/verify');
      verifyLine.say(verdict(answer), !answer?.ok);
    } catch (error) {
      verifyLine.say(`校验失败:${error.message}`, true);
    }
  }

  const element = h('div', { class: 'admin-page column', id: 'admin-audit-page' }, form, verifyLine, list, status);
  element.load = load;
  return element;
}

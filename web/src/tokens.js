// 访问令牌: personal read-only tokens for QGIS/GDAL (Basic user:token). POST/GET/DELETE /api/auth/tokens;
// a new token is shown once, the list shows name, expiry, last use and state, 撤销 revokes.
import { api } from './api.js';
import { clear, h } from './dom.js';

function day(iso) {
  return iso ? iso.slice(0, 16).replace('T', ' ') : '-';
}

function tokenRow(token, onRevoke) {
  const state = token.revoked_at ? '已撤销' : (new Date(token.expires_at) < new Date() ? '已过期' : '有效');
  const revoke = state === '有效'
    ? h('button', { type: 'button', class: 'revoke-token', onclick: () => onRevoke(token) }, '撤销') : null;
  return h('tr', { 'data-token': String(token.id) }, h('td', {}, token.name), h('td', {}, day(token.created_at)),
    h('td', {}, day(token.expires_at)), h('td', {}, day(token.last_used_at)), h('td', { class: 'state' }, state),
    h('td', {}, revoke));
}

/** The 访问令牌 dialog: create (shown once), list, revoke. */
export async function showTokens(dialog) {
  const message = h('p', { class: 'error', role: 'alert' });
  const shown = h('p', { id: 'new-token', class: 'hint' });
  const body = h('tbody');
  const name = h('input', { name: 'token_name', required: true, maxlength: '100', placeholder: '如:QGIS 办公室' });
  const days = h('input', { name: 'token_days', type: 'number', min: '1', value: '30', required: true });
  async function list() {
    const tokens = await api('/api/auth/tokens');
    clear(body, ...tokens.map((t) => tokenRow(t, revoke)));
  }
  async function revoke(token) {
    try {
      await api(`/api/auth/tokens/${token.id}`, { method: 'DELETE' });
      await list();
    } catch (error) { message.textContent = error.message; }
  }
  const form = h('form', {
    id: 'token-form',
    onsubmit: async (event) => {
      event.preventDefault();
      message.textContent = '';
      try {
        const created = await api('/api/auth/tokens', { method: 'POST',
          body: { name: name.value.trim(), days: Number(days.value) } });
        clear(shown, '新令牌(仅显示这一次,请立即复制):', h('code', { id: 'token-secret' }, created.token));
        await list();
      } catch (error) { message.textContent = error.message; }
    },
  },
  h('h2', {}, '访问令牌'),
  h('p', { class: 'hint' }, '只读令牌,供 QGIS、GDAL 等桌面软件以 Basic 认证访问(用户名为账号,口令填令牌)。'),
  h('label', {}, '名称', name), h('label', {}, '有效期(天)', days),
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '创建'),
    h('button', { type: 'button', onclick: () => dialog.close() }, '关闭')),
  shown, message,
  h('table', { id: 'token-list' }, h('thead', {}, h('tr', {}, ...['名称', '创建', '有效至', '最近使用', '状态', '']
    .map((t) => h('th', {}, t)))), body));
  clear(dialog, form);
  if (!dialog.open) dialog.showModal();
  await list();
}

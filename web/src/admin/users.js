// 账号管理: the accounts of one's region. What each administrator may change comes from the server's
// console functions (policy data): users:admin creates, locks, unlocks, resets and deactivates;
// roles:admin sets roles and region; security:admin sets the clearance. Nothing else is offered.
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { statusLine, table, when, zoned } from './format.js';

const enc = encodeURIComponent;

function roleBoxes(roles, chosen, name) {
  return h('div', { class: 'admin-roles', 'data-name': name }, roles.map((r) => h('label', { title: r.description_zh },
    h('input', { type: 'checkbox', name, value: r.role, checked: chosen.includes(r.role) }), r.role)));
}

const checkedRoles = (box) => [...box.querySelectorAll('input:checked')].map((i) => i.value);

function createForm(info, can, done, status) {
  const field = (label, attrs) => h('label', {}, label, h('input', attrs));
  const roles = can('roles:admin') ? roleBoxes(info.roles, [], 'new-roles') : null;
  const level = can('security:admin')
    ? h('select', { name: 'clearance' }, h('option', { value: '' }, '按角色默认'), info.clearances.map((c) => h('option', { value: c }, c)))
    : null;
  const form = h('form', { class: 'admin-form', id: 'admin-create',
    onsubmit: async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      if (data.get('password') !== data.get('confirm')) {
        status.say('两次输入的初始口令不一致', true);
        return;
      }
      const body = { username: data.get('username').trim(), password: data.get('password'),
        display_name: data.get('display_name').trim(), region_code: data.get('region_code').trim() };
      if (roles) body.roles = checkedRoles(roles);
      if (level?.value) body.clearance = level.value;
      try {
        const user = await api('/api/admin/users', { method: 'POST', body });
        status.say(`已创建账号 ${user.username}:本人首次登录时须修改初始口令${roles ? '' : ';角色和密级由安全管理员设置'}`);
        form.reset();
        done(user.username);
      } catch (error) {
        status.say(error.message, true);
      }
    } },
  h('h3', {}, '新建账号'),
  h('p', { class: 'muted' }, '本人首次登录时须修改初始口令。', roles ? '' : '新账号暂无角色、密级为公开,由安全管理员设置角色和密级后方可办理业务。'),
  field('用户名', { name: 'username', required: true, autocomplete: 'off', maxlength: 64 }),
  field('姓名', { name: 'display_name', maxlength: 64 }),
  field('初始口令', { name: 'password', type: 'password', required: true, autocomplete: 'new-password' }),
  field('确认初始口令', { name: 'confirm', type: 'password', required: true, autocomplete: 'new-password' }),
  field('行政区划代码', { name: 'region_code', placeholder: '如 341123;空为全国', maxlength: 12 }),
  roles ? h('div', {}, '角色', roles) : null, level ? h('label', {}, '密级', level) : null,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, '创建')));
  return form;
}

function detail(user, info, can, change) {
  const parts = [h('h3', {}, `${user.display_name || user.username}(${user.username})`)];
  if (can('users:admin')) {
    const password = h('input', { type: 'password', name: 'reset', autocomplete: 'new-password', placeholder: '新的初始口令' });
    parts.push(h('div', { class: 'admin-block' }, h('h4', {}, '账号状态'),
      h('div', { class: 'line' },
        h('button', { type: 'button', id: 'admin-lock', disabled: user.state === '锁定' || !user.active,
          onclick: () => change('lock', 'POST', undefined, '已锁定') }, '锁定'),
        h('button', { type: 'button', id: 'admin-unlock', disabled: user.state !== '锁定',
          onclick: () => change('unlock', 'POST', undefined, '已解锁') }, '解锁'),
        h('button', { type: 'button', id: 'admin-deactivate', disabled: !user.active, onclick: () => {
          if (window.confirm(`停用账号 ${user.username}?停用后不能再登录(记录保留供审计)。`)) change('deactivate', 'POST', undefined, '已停用');
        } }, '停用')),
      h('div', { class: 'line' }, password, h('button', { type: 'button', id: 'admin-reset',
        onclick: () => change('password', 'POST', { password: password.value }, '已重置口令,本人下次登录时须修改') }, '重置口令'))));
  }
  if (can('roles:admin')) {
    const roles = roleBoxes(info.roles, user.roles, 'roles');
    const region = h('input', { name: 'region', value: user.region_code, placeholder: '空为全国', maxlength: 12 });
    parts.push(h('div', { class: 'admin-block' }, h('h4', {}, '角色与区域'), roles,
      h('div', { class: 'line' }, h('button', { type: 'button', id: 'admin-save-roles',
        onclick: () => change('roles', 'PUT', { roles: checkedRoles(roles) }, '已保存角色') }, '保存角色')),
      h('div', { class: 'line' }, h('span', {}, '行政区划'), region, h('button', { type: 'button', id: 'admin-save-region',
        onclick: () => change('region', 'PUT', { region_code: region.value.trim() }, '已调整所属区域') }, '保存区域'))));
  }
  if (can('security:admin')) {
    const level = h('select', { name: 'clearance' }, info.clearances.map((c) => h('option', { value: c, selected: c === user.clearance }, c)));
    parts.push(h('div', { class: 'admin-block' }, h('h4', {}, '密级'), h('div', { class: 'line' }, level,
      h('button', { type: 'button', id: 'admin-save-clearance',
        onclick: () => change('clearance', 'PUT', { clearance: level.value }, '已设置密级') }, '保存密级'))));
  }
  return parts;
}

export function usersPage(info) {
  const can = (action) => info.granted.includes(action);
  const status = statusLine('admin-users-status');
  const list = table('admin-users', ['用户名', '姓名', '角色', '行政区', '密级', '状态', zoned('最近登录')]);
  const side = h('div', { class: 'admin-side', id: 'admin-user-detail' });
  const filter = h('input', { type: 'search', placeholder: '按用户名、姓名筛选', id: 'admin-user-filter' });
  let users = [];
  let selected = null;

  const showCreate = () => {
    selected = null;
    clear(side, can('users:admin') ? createForm(info, can, (name) => load(name), status) : h('p', { class: 'muted' }, '选择一个账号进行设置'));
  };
  const select = (user) => {
    selected = user.username;
    for (const tr of list.body.children) tr.classList.toggle('selected', tr.dataset.user === selected);
    const change = async (what, method, body, done) => {
      try {
        const updated = await api(`/api/admin/users/${enc(user.username)}/${what}`, { method, body });
        status.say(`${done}:${updated.username}`);
        await load(updated.username);
      } catch (error) {
        status.say(error.message, true);
      }
    };
    clear(side, detail(user, info, can, change));
  };
  const render = () => {
    const text = filter.value.trim();
    const shown = users.filter((u) => !text || u.username.includes(text) || u.display_name.includes(text));
    clear(list.body, shown.length ? shown.map((u) => h('tr', { 'data-user': u.username, class: u.username === selected ? 'selected' : '',
      onclick: () => select(u) },
    h('td', {}, u.username), h('td', {}, u.display_name), h('td', {}, u.roles.join('、') || '(无角色)'),
    h('td', {}, u.region_code || '全国'), h('td', {}, u.clearance),
    h('td', { class: `state state-${u.state}`, 'data-state': u.state }, u.state), h('td', {}, when(u.last_login_at))))
      : h('tr', {}, h('td', { colspan: 7, class: 'empty' }, '没有账号')));
  };
  async function load(focus) {
    try {
      users = await api('/api/admin/users');
    } catch (error) {
      status.say(error.message, true);
      return;
    }
    render();
    const user = users.find((u) => u.username === (focus ?? selected));
    if (user) select(user);
    else showCreate();
  }
  filter.addEventListener('input', render);
  const element = h('div', { class: 'admin-page', id: 'admin-users-page' },
    h('div', { class: 'admin-main' },
      h('div', { class: 'line admin-tools' }, filter,
        can('users:admin') ? h('button', { type: 'button', id: 'admin-new-user', onclick: showCreate }, '新建账号') : null,
        h('button', { type: 'button', onclick: () => load() }, '刷新')), list, status),
    side);
  element.load = () => load();
  return element;
}

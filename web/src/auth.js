// 登录/退出: POST /api/auth/login (JSON) sets the HttpOnly session cookie; the csrf_token goes on unsafe requests.
// A login answered PasswordExpiredError (first sign-in, reset by an administrator, expired) goes on to the
// change-password dialog (password.js), which signs in with the new password.
import { api, setCsrfToken } from './api.js';
import { clear, h } from './dom.js';
import { askPasswordChange } from './password.js';

export const ANONYMOUS = { username: '-', roles: ['公众'] };

export function isSignedIn(user) {
  return Boolean(user) && user.username !== '-';
}

export async function currentUser() {
  const me = await api('/api/auth/me');
  setCsrfToken(me.csrf_token);
  return me;
}

export async function signIn(username, password, totp) {
  const result = await api('/api/auth/login', { method: 'POST', body: { username, password, totp: totp || null } });
  setCsrfToken(result.csrf_token);
  return result.user;
}

export async function signOut() {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } finally {
    setCsrfToken(null);
  }
}

export function renderUser(container, user, { onLogin, onLogout, onPassword, onTokens }) {
  if (!isSignedIn(user)) {
    clear(container, h('span', { class: 'who' }, '访客(仅公开数据)'),
      h('button', { type: 'button', id: 'login-button', onclick: onLogin }, '登录'));
    return;
  }
  clear(container,
    h('span', { class: 'who', id: 'user-name' }, user.display_name || user.username),
    h('span', { class: 'roles' }, user.roles.join('、')),
    user.region_code ? h('span', { class: 'roles' }, `辖区 ${user.region_code}`) : null,
    onPassword ? h('button', { type: 'button', id: 'password-button', onclick: onPassword }, '修改口令') : null,
    onTokens ? h('button', { type: 'button', id: 'tokens-button', onclick: onTokens }, '访问令牌') : null,
    h('button', { type: 'button', id: 'logout-button', onclick: onLogout }, '退出'));
}

/** The login dialog; resolves with the signed-in user, or null when cancelled. */
export function askLogin(dialog) {
  return new Promise((resolve) => {
    const message = h('p', { class: 'error', role: 'alert' });
    const username = h('input', { name: 'username', autocomplete: 'username', required: true });
    const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
    const totp = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code', placeholder: '未启用可不填' });
    const submit = h('button', { type: 'submit', class: 'primary' }, '登录');
    const cancel = h('button', { type: 'button', onclick: () => { dialog.close(); resolve(null); } }, '取消');
    const form = h('form', {
      onsubmit: async (event) => {
        event.preventDefault();
        submit.disabled = true;
        message.textContent = '';
        try {
          const user = await signIn(username.value.trim(), password.value, totp.value.trim());
          dialog.close();
          resolve(user);
        } catch (error) {
          if (error.kind === 'PasswordExpiredError') {
            resolve(await askPasswordChange(dialog, { username: username.value.trim(), oldPassword: password.value,
              reason: error.message, totp: Boolean(totp.value.trim()) }));
            return;
          }
          message.textContent = error.message;
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, '用户登录'),
    h('label', {}, '用户名', username), h('label', {}, '口令', password), h('label', {}, '动态口令', totp),
    message, h('div', { class: 'actions' }, cancel, submit));
    clear(dialog, form);
    dialog.showModal();
    username.focus();
  });
}

/** The signed-in user's 修改口令: asks the old password too; resolves with the user (signed in again) or null. */
export function askOwnPasswordChange(dialog, user) {
  return askPasswordChange(dialog, { username: user.username, totp: Boolean(user.totp_enabled) });
}

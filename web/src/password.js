// 修改口令: POST /api/auth/password {username, old_password, new_password, totp?} changes one's own password,
// also an initial or expired one without a session, and signs in (session cookie + csrf_token in the answer).
// The same dialog serves the login that answered "请先修改口令" and the signed-in user's 修改口令 button.
import { api, setCsrfToken } from './api.js';
import { clear, h } from './dom.js';

export const POLICY = '至少 8 位,包含大写字母、小写字母、数字、特殊字符中的三类;不得包含用户名,不得使用常见口令(如 P@ssw0rd、Admin@123)。';

export async function changePassword(username, oldPassword, newPassword, totp) {
  const result = await api('/api/auth/password', {
    method: 'POST',
    body: { username, old_password: oldPassword, new_password: newPassword, totp: totp || null },
  });
  setCsrfToken(result.csrf_token);
  return result.user;
}

function passwordInput(name, autocomplete) {
  return h('input', { name, type: 'password', autocomplete, required: true, maxlength: '128' });
}

/**
 * The change-password dialog; resolves with the signed-in user, or null when cancelled.
 * `oldPassword` given (from the login form): not asked again. `reason`: why the change is needed.
 * `totp`: ask for a dynamic code (the one typed at login is spent: codes are accepted once).
 */
export function askPasswordChange(dialog, { username, oldPassword = null, reason = '', totp = false } = {}) {
  return new Promise((resolve) => {
    const message = h('p', { class: 'error', role: 'alert' });
    const old = oldPassword === null ? passwordInput('old_password', 'current-password') : null;
    const fresh = passwordInput('new_password', 'new-password');
    const again = passwordInput('confirm_password', 'new-password');
    const code = h('input', { name: 'totp', inputmode: 'numeric', autocomplete: 'one-time-code',
      placeholder: totp ? '请输入新的动态口令' : '未启用可不填' });
    const submit = h('button', { type: 'submit', class: 'primary' }, '修改并登录');
    const cancel = h('button', { type: 'button', onclick: () => { dialog.close(); resolve(null); } }, '取消');
    const form = h('form', {
      id: 'password-form',
      onsubmit: async (event) => {
        event.preventDefault();
        message.textContent = '';
        if (fresh.value !== again.value) {
          message.textContent = '两次输入的新口令不一致';
          return;
        }
        submit.disabled = true;
        try {
          const user = await changePassword(username, old ? old.value : oldPassword, fresh.value, code.value.trim());
          dialog.close();
          resolve(user);
        } catch (error) {
          message.textContent = error.message;
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('h2', {}, '修改口令'),
    reason ? h('p', { class: 'reason' }, reason) : null,
    h('p', { class: 'hint' }, `账号:${username}`),
    old ? h('label', {}, '原口令', old) : null,
    h('label', {}, '新口令', fresh), h('label', {}, '确认新口令', again), h('label', {}, '动态口令', code),
    h('p', { class: 'hint' }, POLICY),
    message, h('div', { class: 'actions' }, cancel, submit));
    clear(dialog, form);
    if (!dialog.open) dialog.showModal();
    (old || fresh).focus();
  });
}

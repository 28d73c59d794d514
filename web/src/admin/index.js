// 系统管理: the admin console, a full-width page over the map. Its tab appears only for an account that
// holds a console function (the server reads them from the policy data: GET /api/admin/console), and each
// page only for the function it needs — 账号管理 for account administration, 审计日志 for audit:read,
// 后台任务 for jobs:admin. A business account never sees it.
import './admin.css';
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { auditPage } from './audit.js';
import { jobsPage } from './jobs.js';
import { usersPage } from './users.js';

const PAGES = [
  { id: 'users', title: '账号管理', needs: ['users:admin', 'roles:admin', 'security:admin'], make: usersPage },
  { id: 'audit', title: '审计日志', needs: ['audit:read'], make: auditPage },
  { id: 'jobs', title: '后台任务', needs: ['jobs:admin'], make: jobsPage },
];

export function installAdmin({ tabs, workspace }) {
  const tab = h('button', { type: 'button', 'data-tab': 'admin', hidden: true }, '系统管理');
  const nav = h('nav', { class: 'admin-nav', id: 'admin-nav' });
  const body = h('div', { class: 'admin-body' });
  const view = h('section', { id: 'admin-console', hidden: true }, nav, body);
  let pages = [];
  let current = null;
  tabs.append(tab);
  workspace.append(view);

  const open = (page) => {
    current = page;
    for (const b of nav.querySelectorAll('button')) b.classList.toggle('active', b.dataset.page === page.id);
    for (const p of pages) if (p !== page) p.element.stop?.();
    clear(body, page.element);
    page.element.load();
  };
  const close = () => {
    view.hidden = true;
    for (const p of pages) p.element.stop?.();
  };
  tabs.addEventListener('click', (event) => {
    const clicked = event.target.closest('button[data-tab]');
    if (!clicked) return;
    if (clicked !== tab) {
      close();
      return;
    }
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b === tab);
    view.hidden = false;
    if (pages.length) open(pages.includes(current) ? current : pages[0]);
  });

  return {
    /** Called after every sign-in and sign-out: which console functions the account holds now. */
    async refresh() {
      close();
      clear(body);
      const info = await api('/api/admin/console').catch(() => ({ granted: [] }));
      pages = PAGES.filter((p) => p.needs.some((a) => info.granted.includes(a)))
        .map((p) => ({ ...p, element: p.make(info) }));
      tab.hidden = pages.length === 0;
      clear(nav, pages.map((p) => h('button', { type: 'button', 'data-page': p.id, onclick: () => open(p) }, p.title)));
    },
  };
}

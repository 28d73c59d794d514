// 资源目录: the catalog tree (分类 → 图层 → 版本) from /api/catalog, showing only what the caller may see.
import { api } from './api.js';
import { clear, h } from './dom.js';
import { day } from './localtime.js';

const CATEGORY_ORDER = ['现状', '规划', '管理', '社会经济', '基础地理', '其他'];

export async function loadCatalog() {
  return api('/api/catalog');
}

function byCategory(entries) {
  const groups = new Map();
  for (const entry of entries) {
    const category = entry.category || '其他';
    if (!groups.has(category)) groups.set(category, []);
    groups.get(category).push(entry);
  }
  const rank = (c) => (CATEGORY_ORDER.includes(c) ? CATEGORY_ORDER.indexOf(c) : CATEGORY_ORDER.length);
  return [...groups.entries()].sort(([a], [b]) => rank(a) - rank(b));
}

function versionNode(entry, version, manager) {
  const date = day(version.valid_date || version.created);
  const input = h('input', { type: 'radio', name: `version-${entry.name}`, checked: version.version === entry.version,
    onchange: () => manager.setVersion(entry.name, version.version) });
  return h('li', { class: 'version' }, h('label', {}, input, `v${version.version} · ${date} · ${version.feature_count} 个要素`));
}

function layerNode(entry, manager) {
  const versions = h('ul', { class: 'versions', hidden: true },
    [...entry.versions].reverse().map((v) => versionNode(entry, v, manager)));
  const caret = h('button', { type: 'button', class: 'caret', title: '版本',
    onclick: () => { versions.hidden = !versions.hidden; caret.classList.toggle('open', !versions.hidden); } });
  const checkbox = h('input', { type: 'checkbox', 'data-layer': entry.name, checked: Boolean(manager.find(entry.name)),
    onchange: (event) => manager.toggle(entry, event.target.checked) });
  const level = h('span', { class: `level level-${entry.security_level}` }, entry.security_level);
  return h('li', { class: 'layer', 'data-layer': entry.name },
    h('div', { class: 'row' }, caret, h('label', { title: `${entry.name} · ${entry.crs}` }, checkbox,
      h('span', { class: 'title' }, entry.title || entry.name), h('span', { class: 'code' }, entry.name)), level),
    versions);
}

export function renderCatalog(container, entries, manager) {
  if (!entries.length) {
    clear(container, h('p', { class: 'empty' }, '没有可见的图层。登录后可查看更多数据。'));
    return;
  }
  clear(container, h('ul', { class: 'tree' }, byCategory(entries).map(([category, list]) => {
    const children = h('ul', {}, list.map((entry) => layerNode(entry, manager)));
    const head = h('button', { type: 'button', class: 'group open',
      onclick: () => { children.hidden = !children.hidden; head.classList.toggle('open', !children.hidden); } },
    `${category}(${list.length})`);
    return h('li', { class: 'category', 'data-category': category }, head, children);
  })));
}

// 规划成果: the plan's text (Word), drawings (images, PDF) and indicator table (Excel) attached to a layer,
// read beside the map. The server turns documents into data (headings, paragraphs, rows); this module
// builds the elements itself, never HTML from a file.
import { api } from './api.js';
import { clear, h } from './dom.js';
import { errorMessage } from './errors.js';

const BLOCK_TAGS = { title: 'h2', h1: 'h3', h2: 'h4', h3: 'h5', p: 'p' };

function table(rows) {
  return h('table', { class: 'doc-table' }, rows.map((row, i) => h('tr', {},
    row.map((cell) => h(i === 0 ? 'th' : 'td', {}, cell === null ? '' : String(cell))))));
}

function render(view, id) {
  if (view.kind === 'docx') {
    return view.blocks.map((b) => (b.type === 'table' ? table(b.rows) : h(BLOCK_TAGS[b.type] || 'p', {}, b.text)));
  }
  if (view.kind === 'xlsx') return view.sheets.flatMap((s) => [h('h4', {}, s.name), table(s.rows)]);
  if (view.kind === 'image') return h('img', { src: `/api/documents/${id}`, alt: view.title, class: 'doc-image' });
  return h('a', { href: `/api/documents/${id}`, target: '_blank', rel: 'noopener' }, `打开 ${view.filename}`);
}

function documentsPanel({ entries }) {
  const layer = h('select', { id: 'doc-layer' });
  const list = h('ul', { class: 'doc-list', id: 'doc-list' });
  const viewer = h('div', { class: 'doc-view', id: 'doc-view' });
  // The browser's own file button speaks the browser's UI language; ours is Chinese whatever it is.
  const chosen = h('span', { class: 'muted file-name' }, '未选择文件');
  const file = h('input', { type: 'file', accept: '.docx,.xlsx,.pdf,.png,.jpg,.jpeg', id: 'doc-file', hidden: true,
    onchange: () => { chosen.textContent = file.files[0]?.name || '未选择文件'; } });
  const picker = h('label', { class: 'button file-pick', title: 'Word 文本、Excel 指标表、PDF 或图片' }, '选择文件…', file);
  const status = h('div', { class: 'map-status' });
  const show = async (doc) => {
    clear(viewer, h('p', {}, '正在读取…'));
    try {
      const view = await api(`/api/documents/${doc.id}/view`);
      clear(viewer, h('div', { class: 'line' }, h('strong', {}, view.title),
        h('a', { href: `/api/documents/${doc.id}`, download: '' }, '下载原文件')), render(view, doc.id));
    } catch (error) {
      clear(viewer, h('p', { class: 'error' }, error.message));
    }
  };
  const refresh = async () => {
    if (!layer.value) return;
    const docs = await api(`/api/catalog/${encodeURIComponent(layer.value)}/documents`).catch(() => []);
    clear(list, docs.length ? docs.map((d) => h('li', {}, h('button', { type: 'button', class: 'unit',
      'data-doc': d.id, onclick: () => show(d) }, d.title))) : h('li', { class: 'empty' }, '该图层没有规划成果文档'));
    clear(viewer);
  };
  const upload = async () => {
    if (!file.files.length) return;
    const form = new FormData();
    form.append('file', file.files[0]);
    status.textContent = '上传中…';
    const csrf = (await api('/api/auth/me').catch(() => ({}))).csrf_token;  // multipart: not through api()
    let response;
    try {
      response = await fetch(`/api/catalog/${encodeURIComponent(layer.value)}/documents`, {
        method: 'POST', body: form, credentials: 'same-origin', headers: csrf ? { 'X-CSRF-Token': csrf } : {} });
    } catch {
      status.textContent = `上传失败:${errorMessage(0)}`;
      return;
    }
    const body = await response.json().catch(() => ({}));
    status.textContent = response.ok ? `已上传:${body.title}` : `上传失败:${body.message || errorMessage(response.status)}`;
    await refresh();
  };
  layer.addEventListener('change', refresh);
  const element = h('div', { class: 'query thematic documents' },
    h('label', { class: 'line' }, '图层', layer), list, viewer,
    h('div', { class: 'line' }, picker, chosen, h('button', { type: 'button', onclick: upload }, '上传')), status);
  element.refresh = async () => {
    const previous = layer.value;
    clear(layer, entries().map((e) => h('option', { value: e.name }, `${e.title}(${e.name})`)));
    const planning = entries().find((e) => e.category === '规划');
    if (entries().some((e) => e.name === previous)) layer.value = previous;
    else if (planning) layer.value = planning.name;
    await refresh();
  };
  return element;
}

// A 规划成果 tab in the top bar, its panel on the right beside the map.
export function installDocuments({ panel, tabs, entries }) {
  const element = documentsPanel({ entries });
  tabs.append(h('button', { type: 'button', 'data-tab': 'documents' }, '规划成果'));
  tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]');
    if (tab?.dataset.tab !== 'documents') return;
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b === tab);
    element.refresh();
    panel.show('规划成果', element);
  });
}

// 专题图制作: pick a layer and a classification, title and map furniture; the server draws the map
// (PNG preview, PDF download); save the settings as a template; the 任务日志 re-runs any map for another
// region or version. Talks only to /api/maps (docs/maps.md).
import { api } from './api.js';
import { clear, h } from './dom.js';
import { whenMinutes, zoned } from './localtime.js';
import RAMP_NAMES from './data/ramps.json';

const METHODS = [['unique', '唯一值(标准色)'], ['natural_breaks', '自然断点'], ['quantiles', '分位数'],
  ['equal_interval', '等间距'], ['single', '单一符号']];
const NUMERIC = new Set(['number', 'integer']);
const STATUS = { running: '制图中', successful: '完成', failed: '失败' };
const input = (attrs) => h('input', attrs);
const line = (label, control) => h('label', { class: 'line' }, label, control);
const check = (name, label) => h('label', { class: 'line check' },
  input({ type: 'checkbox', name, checked: true }), label);

async function fieldsOf(layer) {
  const schema = await api(`/ogc/collections/${encodeURIComponent(layer)}/queryables`);
  return Object.entries(schema.properties || {}).filter(([, p]) => p.type !== undefined && !p.format?.startsWith('geometry'))
    .map(([name, p]) => ({ name, title: p.title || name, numeric: NUMERIC.has(p.type) }));
}

async function waitForRun(run) {
  let current = run;
  for (let i = 0; current.status === 'running' && i < 600; i += 1) {
    await new Promise((resolve) => { setTimeout(resolve, 1000); });
    current = await api(`/api/maps/runs/${current.id}`);
  }
  return current;
}

function thematicPanel({ entries }) {
  const f = {
    title: input({ name: 'title', value: '{region}土地利用现状图', id: 'map-title', title: '{region} 在制图时替换为制图区域的名称' }),
    subtitle: input({ name: 'subtitle', value: '' }),
    layer: h('select', { name: 'layer', id: 'map-layer' }),
    method: h('select', { name: 'method', id: 'map-method' }, METHODS.map(([v, t]) => h('option', { value: v }, t))),
    field: h('select', { name: 'field', id: 'map-field' }),
    classes: input({ type: 'number', name: 'classes', min: 2, max: 12, value: 5 }),
    ramp: h('select', { name: 'ramp' }),
    page: h('select', { name: 'page' }, ['A4', 'A3'].map((p) => h('option', { value: p }, p))),
    orientation: h('select', { name: 'orientation' }, h('option', { value: 'landscape' }, '横向'),
      h('option', { value: 'portrait' }, '纵向')),
    region: input({ name: 'region', id: 'map-region', placeholder: '行政区划代码,如 341799101' }),
    version: input({ type: 'number', name: 'version', min: 1, id: 'map-version', placeholder: '当前版本' }),
    name: input({ name: 'template-name', id: 'map-template-name', placeholder: '模板名称' }),
    shared: input({ type: 'checkbox', name: 'shared' }),
    templates: h('select', { id: 'map-templates' }),
    overlay: h('select', { name: 'overlay', id: 'map-overlay' }),
  };
  const furniture = { legend: check('legend', '图例'), scale_bar: check('scale_bar', '比例尺'),
    north_arrow: check('north_arrow', '指北针'), graticule: check('graticule', 'CGCS2000 经纬网') };
  const status = h('div', { class: 'map-status', id: 'map-status' });
  const preview = h('div', { class: 'map-preview', id: 'map-preview' });
  const log = h('div', { class: 'map-log', id: 'map-log' });
  let fields = [];

  const template = () => {
    const numeric = !['unique', 'single'].includes(f.method.value);
    const layer = { name: f.layer.value, classification: { method: f.method.value,
      field: f.method.value === 'single' ? null : f.field.value, classes: Number(f.classes.value) || 5,
      ...(numeric ? { ramp: f.ramp.value } : {}) } };
    const layers = [layer];
    if (f.overlay.value) {  // a boundary drawn over the map: its outline only (城镇开发边界, 生态保护红线 …)
      layers.push({ name: f.overlay.value, opacity: 0, outline: '#e60000', outline_width: 1.2,
        classification: { method: 'single', colour: '#e60000' } });
    }
    const body = { title: f.title.value.trim(), subtitle: f.subtitle.value.trim(), layers,
      page: f.page.value, orientation: f.orientation.value };
    for (const [key, label] of Object.entries(furniture)) body[key] = label.querySelector('input').checked;
    return body;
  };
  const fillFields = () => {
    const numeric = !['unique', 'single'].includes(f.method.value);
    const usable = fields.filter((x) => (numeric ? x.numeric : !x.numeric));
    clear(f.field, usable.map((x) => h('option', { value: x.name }, x.title === x.name ? x.name : `${x.title}(${x.name})`)));
    const preferred = numeric ? 'TBMJ' : ['DLBM', 'YDYHFLDM', 'GHFQDM'].find((c) => usable.some((x) => x.name === c));
    if (usable.some((x) => x.name === preferred)) f.field.value = preferred;
    f.field.disabled = f.method.value === 'single';
  };
  const loadFields = async () => {
    fields = f.layer.value ? await fieldsOf(f.layer.value).catch(() => []) : [];
    fillFields();
  };
  const showRun = (run) => {
    if (run.status !== 'successful') {
      clear(preview, h('p', { class: 'error' }, run.message || STATUS[run.status]));
      return;
    }
    const stamp = Date.now();
    clear(preview,
      h('img', { src: `/api/maps/runs/${run.id}/png?t=${stamp}`, alt: run.title, id: 'map-image' }),
      h('div', { class: 'line' },
        h('a', { href: `/api/maps/runs/${run.id}/png`, download: '', id: 'map-download-png' }, '下载 PNG'),
        h('a', { href: `/api/maps/runs/${run.id}/pdf`, download: '', id: 'map-download-pdf' }, '下载 PDF')));
  };
  const refreshLog = async () => {
    const runs = await api('/api/maps/runs').catch(() => []);
    clear(log, h('table', {}, h('thead', {}, h('tr', {}, [zoned('时间'), '标题', '区域', '状态', ''].map((t) => h('th', {}, t)))),
      h('tbody', {}, runs.map((run) => {
        const other = input({ class: 'rerun-region', placeholder: '其他区域代码', size: 11 });
        const again = h('button', { type: 'button', class: 'rerun', onclick: () => perform(
          () => api(`/api/maps/runs/${run.id}/rerun`, { method: 'POST',
            body: other.value.trim() ? { region: other.value.trim() } : {} })) }, '重新运行');
        return h('tr', { 'data-run': run.id },
          h('td', {}, whenMinutes(run.created).slice(5)), h('td', {}, run.title.replace('{region}', '')),
          h('td', {}, run.outputs?.region?.name || run.region || '全域'), h('td', {}, STATUS[run.status] || run.status),
          h('td', {}, other, again, run.status === 'successful'
            ? h('a', { href: `/api/maps/runs/${run.id}/pdf`, download: '' }, 'PDF') : null));
      }))));
  };
  const perform = async (start) => {
    status.textContent = '正在制图…';
    try {
      const run = await waitForRun(await start());
      status.textContent = run.status === 'successful'
        ? `制图完成:${run.outputs.region.name},${run.outputs.features} 个要素,比例尺 1:${run.outputs.scale.toLocaleString()}`
        : `制图失败:${run.message}`;
      showRun(run);
    } catch (error) {
      status.textContent = `制图失败:${error.message}`;
    }
    await refreshLog();
  };
  const runBody = () => {
    const body = { template: template() };
    if (f.region.value.trim()) body.region = f.region.value.trim();
    if (f.version.value) body.versions = { [f.layer.value]: Number(f.version.value) };
    return body;
  };
  const refreshTemplates = async () => {
    const list = await api('/api/maps/templates').catch(() => []);
    clear(f.templates, h('option', { value: '' }, '(选择已保存的模板)'),
      list.map((t) => h('option', { value: t.id }, `${t.name}${t.shared ? '(共享)' : ''}`)));
    f.templates.list = list;
  };
  const applyTemplate = async () => {
    const chosen = (f.templates.list || []).find((t) => String(t.id) === f.templates.value);
    if (!chosen) return;
    const t = chosen.template;
    const layer = t.layers[0];
    f.overlay.value = t.layers[1]?.name || '';
    Object.assign(f.title, { value: t.title });
    f.subtitle.value = t.subtitle || '';
    f.layer.value = layer.name;
    f.method.value = layer.classification.method;
    f.classes.value = layer.classification.classes;
    f.ramp.value = layer.classification.ramp;
    f.page.value = t.page;
    f.orientation.value = t.orientation;
    for (const [key, label] of Object.entries(furniture)) label.querySelector('input').checked = t[key];
    await loadFields();
    if (layer.classification.field) f.field.value = layer.classification.field;
  };
  const save = async () => {
    try {
      await api('/api/maps/templates', { method: 'POST', body: { name: f.name.value.trim() || f.title.value.trim(),
        shared: f.shared.checked, template: template() } });
      status.textContent = '模板已保存';
      await refreshTemplates();
    } catch (error) {
      status.textContent = `保存失败:${error.message}`;
    }
  };
  f.layer.addEventListener('change', loadFields);
  f.method.addEventListener('change', fillFields);
  f.templates.addEventListener('change', applyTemplate);

  const element = h('div', { class: 'query thematic' },
    line('模板', f.templates),
    line('标题', f.title), line('副标题', f.subtitle), line('图层', f.layer), line('分类方法', f.method),
    line('分类字段', f.field), line('分级数', f.classes), line('色带', f.ramp), line('叠加界线', f.overlay),
    h('div', { class: 'line check' }, Object.values(furniture)),
    h('div', { class: 'line' }, line('纸张', f.page), f.orientation),
    line('制图区域', f.region), line('图层版本', f.version),
    h('div', { class: 'line' },
      h('button', { type: 'button', class: 'primary', id: 'map-run',
        onclick: () => perform(() => api('/api/maps/runs', { method: 'POST', body: runBody() })) }, '制作专题图')),
    h('div', { class: 'line' }, f.name, h('label', { class: 'check' }, f.shared, '共享'),
      h('button', { type: 'button', id: 'map-save', onclick: save }, '保存模板')),
    status, preview, h('h3', {}, '制图任务日志'), log);
  element.refresh = async () => {
    const polygons = entries().filter((e) => /polygon/i.test(e.geometry_type || 'polygon'));
    const previous = f.layer.value;
    clear(f.layer, polygons.map((e) => h('option', { value: e.name }, `${e.title}(${e.name})`)));
    const overlay = f.overlay.value;
    clear(f.overlay, h('option', { value: '' }, '(无)'), polygons.map((e) => h('option', { value: e.name }, e.title)));
    f.overlay.value = overlay;
    if (polygons.some((e) => e.name === previous)) f.layer.value = previous;
    else if (polygons.some((e) => e.name === 'DLTB')) f.layer.value = 'DLTB';
    const options = await api('/api/maps/options').catch(() => null);
    if (options) {
      clear(f.ramp, Object.keys(options.ramps).map((r) => h('option', { value: r }, RAMP_NAMES[r] ? `${RAMP_NAMES[r]}(${r})` : r)));
      if (options.scope && !f.region.value) f.region.value = options.scope;
    }
    await Promise.all([loadFields(), refreshTemplates(), refreshLog()]);
  };
  return element;
}

// A 专题图 tab in the top bar; the panel opens on the right (the query module hides it for other tabs).
export function installThematic({ panel, tabs, entries }) {
  const element = thematicPanel({ entries });
  tabs.append(h('button', { type: 'button', 'data-tab': 'thematic' }, '专题图'));
  tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]');
    if (!tab) return;
    if (tab.dataset.tab === 'thematic') {
      for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b === tab);
      element.refresh();
      panel.show('专题图制作', element);
    }
  });
}

// 数据导入: upload a FileGDB zip / Shapefile zip / GeoPackage / GeoJSON with its catalog facts, follow the
// import job (POST /api/imports/jobs → /ogc/jobs/{id}), read the import report; then the version history
// of a layer and the difference between two versions (GET /api/layers/{name}/versions, /diff).
import { transformExtent } from 'ol/proj.js';
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';
import { day, when, zoned } from '../localtime.js';
import { viewCode } from '../viewcrs.js';
import { filePicker, followJob, installTab, line, progressBar, statusLine, table, untilFresh, upload } from './jobs.js';

const ENCODINGS = [['', '自动识别'], ['GBK', 'GBK'], ['GB18030', 'GB18030'], ['UTF-8', 'UTF-8']];
const KIND_TITLES = { added: '新增', changed: '变更', removed: '删除' };

function reportView(report) {
  const rows = report.layers.map((l) => h('tr', { 'data-layer': l.name },
    h('td', {}, l.name), h('td', {}, l.source), h('td', {}, l.crs),
    h('td', { class: 'encoding' }, `${l.encoding}(${l.encoding_how_zh})`),
    h('td', { class: 'num' }, l.features), h('td', { class: 'num' }, l.invalid_geometries),
    h('td', { class: 'num' }, `v${l.version}`), h('td', { class: 'num' }, `${l.added} / ${l.changed} / ${l.removed}`)));
  const warnings = report.warnings.length
    ? h('ul', { class: 'notice-list' }, report.warnings.map((w) => h('li', { class: 'notice' }, w))) : null;
  return h('div', { id: 'import-report' },
    h('h3', {}, `导入报告:${report.filename}`),
    table(['图层', '来源', '坐标系', '属性编码(识别方式)', '要素数', '无效几何', '版本', '新增/变更/删除'], rows),
    warnings);
}

function importForm({ onImported }) {
  const file = filePicker('import-file', '.zip,.tar,.tgz,.gz,.gpkg,.geojson,.json',
    'FileGDB 或 Shapefile 压缩包(.zip)、GeoPackage(.gpkg)、GeoJSON');
  const f = {
    name: h('input', { name: 'name', id: 'import-name', placeholder: '缺省取数据中的图层名,如 DLTB', maxlength: 63 }),
    title: h('input', { name: 'title', id: 'import-title', placeholder: '缺省取标准名称,如 地类图斑', maxlength: 100 }),
    category: h('select', { name: 'category', id: 'import-category' }),
    department: h('input', { name: 'department', id: 'import-department', placeholder: '如 县自然资源局', maxlength: 100 }),
    year: h('input', { name: 'year', id: 'import-year', type: 'number', min: 1949, max: 2100, placeholder: '如 2024' }),
    security_level: h('select', { name: 'security_level', id: 'import-level' }),
    valid_date: h('input', { name: 'valid_date', id: 'import-valid-date', type: 'date' }),
    encoding: h('select', { name: 'encoding', id: 'import-encoding' }, ENCODINGS.map(([v, t]) => h('option', { value: v }, t))),
    note: h('input', { name: 'note', id: 'import-note', maxlength: 500, placeholder: '可不填' }),
  };
  const bar = progressBar('import-progress');
  const status = statusLine('import-status');
  const output = h('div', { id: 'import-output' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'import-submit' }, '开始导入');
  const run = async (event) => {
    event.preventDefault();
    status.clear();
    clear(output);
    bar.reset();
    if (!file.input.files.length) {
      status.error('请选择要导入的数据文件');
      return;
    }
    const form = new FormData();
    form.append('file', file.input.files[0]);
    for (const [key, control] of Object.entries(f)) if (control.value.trim()) form.append(key, control.value.trim());
    submit.disabled = true;
    try {
      bar.set(0, '上传中…');
      const job = await upload('/api/imports/jobs', form);
      const results = await followJob(job.jobID, bar);
      clear(output, reportView(results.report));
      status.info(`导入完成:${results.report.layers.map((l) => `${l.name} v${l.version}`).join('、')}`);
      await onImported(results.report.layers);
    } catch (error) {
      status.error(`导入失败:${error.message}`);
    } finally {
      submit.disabled = false;
    }
  };
  const element = h('form', { class: 'query business-form', id: 'import-form', onsubmit: run },
    file, h('div', { class: 'line' }, line('图层代码', f.name), line('图层名称', f.title)), line('数据分类', f.category), line('责任部门', f.department),
    h('div', { class: 'line' }, line('年度', f.year), line('密级', f.security_level)),
    h('div', { class: 'line' }, line('数据时点', f.valid_date), line('属性编码', f.encoding)),
    line('说明', f.note), h('div', { class: 'line' }, submit), bar, status, output);
  element.load = async () => {
    if (f.category.options.length) return;
    const options = await api('/api/imports/options');
    clear(f.category, h('option', { value: '' }, '(按标准图层自动)'), options.categories.map((c) => h('option', { value: c }, c)));
    clear(f.security_level, h('option', { value: '' }, '(沿用或内部)'),
      options.security_levels.map((c) => h('option', { value: c }, c)));
  };
  return element;
}

function diffView(diff, { map }) {
  const parts = ['added', 'changed', 'removed'].map((kind) => {
    const part = diff[kind];
    const keys = part.keys.slice(0, 50);
    return h('details', { class: 'diff-part', 'data-kind': kind },
      h('summary', {}, `${KIND_TITLES[kind]} `, h('strong', { class: 'count' }, part.count), ' 个要素'),
      keys.length ? h('p', { class: 'keys' }, keys.join('、'), part.count > keys.length ? ' …' : '') : null);
  });
  const zoom = diff.extent ? h('button', { type: 'button', id: 'diff-zoom', onclick: () => map.getView().fit(
    transformExtent(diff.extent, `EPSG:${diff.epsg}`, viewCode()), { padding: [40, 40, 40, 40], duration: 300 }) },
  '定位变化范围') : null;
  return h('div', { id: 'diff-result' },
    h('p', {}, `v${diff.from.version}(${day(diff.from.valid_date || diff.from.created)},${diff.from.features} 个要素)→ `
      + `v${diff.to.version}(${day(diff.to.valid_date || diff.to.created)},${diff.to.features} 个要素)`),
    parts, zoom);
}

function historyPanel({ entries, map }) {
  const layer = h('select', { id: 'history-layer' });
  const list = h('div', { id: 'history-list' });
  const v1 = h('select', { id: 'diff-v1' });
  const v2 = h('select', { id: 'diff-v2' });
  const status = statusLine('history-status');
  const result = h('div', {});
  const compare = async () => {
    status.clear();
    clear(result);
    try {
      const diff = await api(`/api/layers/${encodeURIComponent(layer.value)}/diff${query({ v1: v1.value, v2: v2.value })}`);
      clear(result, diffView(diff, { map }));
    } catch (error) {
      status.error(`对比失败:${error.message}`);
    }
  };
  const show = async (expected = 0) => {  // expected: a version just imported (wait until the server lists it)
    clear(result);
    status.clear();
    if (!layer.value) return;
    const path = `/api/layers/${encodeURIComponent(layer.value)}/versions`;
    const versions = await untilFresh(() => api(path), (list) => list.some((v) => v.version >= expected))
      .catch((error) => {
        status.error(error.message);
        return [];
      });
    clear(list, table(['版本', zoned('导入时间'), '数据时点', '来源', '要素数', '新增/变更/删除', '密级'],
      versions.map((v) => h('tr', { 'data-version': v.version }, h('td', {}, `v${v.version}`), h('td', {}, when(v.created)),
        h('td', {}, day(v.valid_date)), h('td', { class: 'source' }, v.source), h('td', { class: 'num' }, v.feature_count),
        h('td', { class: 'num' }, `${v.added} / ${v.changed} / ${v.removed}`), h('td', {}, v.security_level)))));
    const options = () => versions.map((v) => h('option', { value: v.version }, `v${v.version}`));
    clear(v1, options());
    clear(v2, options());
    if (versions.length > 1) {
      v1.value = String(versions[versions.length - 2].version);
      v2.value = String(versions[versions.length - 1].version);
    }
  };
  layer.addEventListener('change', show);
  const element = h('div', { class: 'query', id: 'history' },
    h('h3', {}, '版本历史与对比'), line('图层', layer), list,
    h('div', { class: 'line' }, '对比', v1, '→', v2, h('button', { type: 'button', id: 'diff-run', onclick: compare }, '对比版本')),
    status, result);
  element.refresh = async (imported) => {
    const previous = imported?.name || layer.value;
    clear(layer, entries().map((e) => h('option', { value: e.name }, `${e.title}(${e.name})`)));
    if (entries().some((e) => e.name === previous)) layer.value = previous;
    await show(imported?.version || 0);
  };
  return element;
}

/** The 数据导入 tab. `reloadCatalog()` refreshes the 资源目录 after an import (resolves when done). */
export function installImports({ panel, tabs, entries, map, reloadCatalog }) {
  const history = historyPanel({ entries, map });
  const form = importForm({ onImported: async (layers) => {
    const listed = (list) => layers.every((l) => list.some((e) => e.name === l.name && e.version >= l.version));
    await untilFresh(reloadCatalog, () => listed(entries()));
    await history.refresh(layers[0]);
  } });
  const element = h('div', { class: 'business-page', id: 'page-import' }, form, history);
  element.refresh = async () => {
    await form.load().catch(() => null);
    await history.refresh();
  };
  installTab({ panel, tabs }, 'import', '数据导入', element);
}

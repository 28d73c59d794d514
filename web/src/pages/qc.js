// 成果质检: upload a delivery (POST /api/qc) or pick stored layers (process qc), choose the ruleset, follow the
// job with a progress bar; then the findings of qc.json, filtered by rule, category and layer, each row
// zooming the map to its error; the PDF report, the Excel error list and the GeoPackage of error locations.
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Circle, Fill, Stroke, Style } from 'ol/style.js';
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { viewZoom } from '../tiles.js';
import { onViewCrsChange, viewCode } from '../viewcrs.js';
import { filePicker, followJob, installTab, line, progressBar, runProcess, statusLine, table, upload } from './jobs.js';

const SHOWN = 300; // rows of the findings table (the Excel list has them all)
const SEVERITY = { error: '错误', warning: '警告' };

function errorLayer(map) {
  const source = new VectorSource();
  const stroke = new Stroke({ color: '#d500f9', width: 3 });
  map.addLayer(new VectorLayer({ source, zIndex: 1001, style: new Style({ stroke,
    fill: new Fill({ color: 'rgba(213,0,249,0.15)' }),
    image: new Circle({ radius: 8, stroke, fill: new Fill({ color: 'rgba(213,0,249,0.3)' }) }) }) }));
  onViewCrsChange((next, previous) => {
    for (const feature of source.getFeatures()) feature.getGeometry().transform(previous.code, next.code);
  });
  return source;
}

function findingsView(qc, { map, source }) {
  const rules = qc.rules || {};
  const option = (value, text) => h('option', { value }, text);
  const distinct = (key) => [...new Set(qc.errors.map((e) => e[key]))].sort();
  const rule = h('select', { id: 'qc-filter-rule' }, option('', '全部规则'),
    distinct('rule').map((r) => option(r, rules[r]?.title ? `${rules[r].title}(${r})` : r)));
  const category = h('select', { id: 'qc-filter-category' }, option('', '全部类别'),
    distinct('category').map((c) => option(c, Object.values(rules).find((r) => r.category === c)?.category_zh || c)));
  const layer = h('select', { id: 'qc-filter-layer' }, option('', '全部图层'), distinct('layer').map((l) => option(l, l)));
  const count = h('span', { class: 'muted', id: 'qc-count' });
  const box = h('div', { id: 'qc-findings' });
  const zoom = (finding) => {
    source.clear();
    if (!finding.geometry || !qc.epsg) return;
    const feature = new GeoJSON().readFeature({ type: 'Feature', geometry: finding.geometry, properties: {} },
      { dataProjection: `EPSG:${qc.epsg}`, featureProjection: viewCode() });
    source.addFeature(feature);
    map.getView().fit(feature.getGeometry().getExtent(), { padding: [80, 80, 80, 80], maxZoom: viewZoom(18), duration: 200 });
  };
  const render = () => {
    const shown = qc.errors.filter((e) => (!rule.value || e.rule === rule.value)
      && (!category.value || e.category === category.value) && (!layer.value || e.layer === layer.value));
    count.textContent = `共 ${shown.length} 条${shown.length > SHOWN ? `(显示前 ${SHOWN} 条,全部见 Excel 错误清单)` : ''}`;
    count.dataset.count = String(shown.length);
    clear(box, table(['规则', '类别', '级别', '图层', '标识码', '说明'], shown.slice(0, SHOWN).map((e, i) => h('tr', {
      'data-index': i, 'data-rule': e.rule, 'data-category': e.category, 'data-layer': e.layer, class: e.geometry ? 'locatable' : '', title: e.geometry ? '单击定位到错误位置' : '无位置',
      onclick: (event) => {
        for (const row of box.querySelectorAll('tr.selected')) row.classList.remove('selected');
        event.currentTarget.classList.add('selected');
        zoom(e);
      } },
    h('td', {}, rules[e.rule]?.title || e.rule), h('td', {}, rules[e.rule]?.category_zh || e.category),
    h('td', {}, SEVERITY[e.severity] || e.severity), h('td', {}, e.layer), h('td', {}, (e.keys || []).slice(0, 3).join('、')),
    h('td', {}, e.message))), { id: 'qc-table' }));
  };
  for (const select of [rule, category, layer]) select.addEventListener('change', render);
  render();
  return h('div', {}, h('div', { class: 'line' }, rule, category, layer), count, box);
}

function resultView(results, qc, context) {
  const { summary } = results;
  const link = (key, text, id) => (results[key]?.href ? h('a', { href: results[key].href, download: '', id, class: 'button' }, text) : null);
  return h('div', { id: 'qc-result' },
    h('p', { id: 'qc-summary' }, `${qc.input}:错误 ${summary.errors} 个,警告 ${summary.warnings} 个`),
    h('div', { class: 'line start' }, link('report_pdf', '质检报告 PDF', 'qc-pdf'), link('errors_xlsx', '错误清单 Excel', 'qc-xlsx'),
      link('errors_gpkg', '错误位置 GPKG', 'qc-gpkg')),
    findingsView(qc, context));
}

function qcPage({ map, entries }) {
  const source = errorLayer(map);
  const ruleset = h('select', { id: 'qc-ruleset' });
  const mode = h('select', { id: 'qc-mode' }, h('option', { value: 'upload' }, '上传成果数据'), h('option', { value: 'layers' }, '选择库中图层'));
  const file = filePicker('qc-file', '.zip,.tar,.tgz,.gz,.gpkg,.geojson,.json', '成果数据压缩包(FileGDB/Shapefile)、GeoPackage 或 GeoJSON');
  const layers = h('div', { class: 'qc-layers', id: 'qc-layers', hidden: true });
  const bar = progressBar('qc-progress');
  const status = statusLine('qc-status');
  const output = h('div', {});
  const run = h('button', { type: 'button', class: 'primary', id: 'qc-run' }, '开始质检');
  let sets = [];
  const fillLayers = () => {
    const wanted = new Set(sets.find((s) => s.name === ruleset.value)?.layers || []);
    const previous = new Set([...layers.querySelectorAll('input:checked')].map((i) => i.value));
    clear(layers, entries().map((e) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: e.name,
      'data-layer': e.name, checked: previous.size ? previous.has(e.name) : wanted.has(e.name) }), `${e.title}(${e.name})`)));
  };
  mode.addEventListener('change', () => {
    file.hidden = mode.value !== 'upload';
    layers.hidden = mode.value !== 'layers';
  });
  ruleset.addEventListener('change', () => { clear(layers); fillLayers(); });
  run.addEventListener('click', async () => {
    status.clear();
    clear(output);
    source.clear();
    run.disabled = true;
    try {
      let results;
      if (!ruleset.value) throw new Error('请选择质检规则集');
      if (mode.value === 'upload') {
        if (!file.input.files.length) throw new Error('请选择待检的成果数据文件');
        const form = new FormData();
        form.append('file', file.input.files[0]);
        form.append('ruleset', ruleset.value);
        bar.set(0, '上传中…');
        const job = await upload('/api/qc', form);
        results = await followJob(job.jobID, bar);
      } else {
        const picked = [...layers.querySelectorAll('input:checked')].map((i) => i.value);
        if (!picked.length) throw new Error('请选择待检图层');
        results = await runProcess('qc', { ruleset: ruleset.value, layers: picked }, bar);
      }
      const qc = { ...(await api(results.qc_json.href)), epsg: results.epsg, rules: results.rules };
      clear(output, resultView(results, qc, { map, source }));
      status.info('质检完成');
    } catch (error) {
      status.error(`质检失败:${error.message}`);
    } finally {
      run.disabled = false;
    }
  });
  const element = h('div', { class: 'business-page query', id: 'page-qc' },
    line('规则集', ruleset), line('待检数据', mode), file, layers, h('div', { class: 'line' }, run), bar, status, output);
  element.refresh = async () => {
    if (!sets.length) {
      sets = await api('/api/qc/rulesets').catch(() => []);
      clear(ruleset, sets.map((s) => h('option', { value: s.name }, `${s.title}(${s.version})`)));
    }
    fillLayers();
  };
  return element;
}

/** The 成果质检 tab. */
export function installQc({ panel, tabs, map, entries }) {
  installTab({ panel, tabs }, 'qc', '成果质检', qcPage({ map, entries }));
}

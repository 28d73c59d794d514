// 合规性审查: a project boundary from a file (GeoJSON, Shapefile zip, 部标 coordinate text; read by
// POST /api/projects/boundary) or drawn on the map; the review runs as a job of the compliance-review
// process (progress bar); the result shows the overlaps on the map and the report's tables, links the
// PDF/Word reports, and the project's history takes feedback (审批/登记/执法, POST /api/projects/{id}/feedback).
import Feature from 'ol/Feature.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { drawTool } from '../draw.js';
import { when, zoned } from '../localtime.js';
import { GEOGRAPHIC } from '../projections.js';
import { onViewCrsChange, readFeature, viewCode } from '../viewcrs.js';
import { filePicker, installTab, line, progressBar, runProcess, statusLine, table, upload } from './jobs.js';

const MAX_OVERLAP_FEATURES = 40; // per layer, drawn on the map
const RESULT_CLASS = { 符合: 'ok', 需说明: 'warn', 不符合: 'bad', 无效几何: 'bad' };
const area = (m2) => Number(m2 || 0).toLocaleString('zh-CN', { maximumFractionDigits: 2 });
const ha = (m2) => (Number(m2 || 0) / 1e4).toLocaleString('zh-CN', { minimumFractionDigits: 4, maximumFractionDigits: 4 });
const percent = (ratio) => `${(Number(ratio || 0) * 100).toFixed(2)}%`;
const badge = (result) => h('span', { class: `verdict ${RESULT_CLASS[result] || ''}` }, result);

function overlayLayer(map) {
  const boundary = new VectorSource();
  const overlaps = new VectorSource();
  map.addLayer(new VectorLayer({ source: overlaps, zIndex: 997, style: new Style({
    stroke: new Stroke({ color: '#c62828', width: 1.5 }), fill: new Fill({ color: 'rgba(229,57,53,0.35)' }) }) }));
  map.addLayer(new VectorLayer({ source: boundary, zIndex: 998, style: new Style({
    stroke: new Stroke({ color: '#1f5fa8', width: 3 }), fill: new Fill({ color: 'rgba(31,95,168,0.08)' }) }) }));
  onViewCrsChange((next, previous) => {
    for (const source of [boundary, overlaps]) {
      for (const feature of source.getFeatures()) feature.getGeometry().transform(previous.code, next.code);
    }
  });
  const fit = () => {
    if (boundary.getFeatures().length) map.getView().fit(boundary.getExtent(), { padding: [60, 60, 60, 60], duration: 200 });
  };
  return {
    boundary, overlaps, fit,
    showBoundary(collection) {
      boundary.clear();
      const epsg = collection?.crs?.properties?.name || GEOGRAPHIC;
      boundary.addFeatures(new GeoJSON().readFeatures(collection, { dataProjection: epsg, featureProjection: viewCode() }));
      fit();
    },
    clear() { boundary.clear(); overlaps.clear(); },
  };
}

async function drawOverlaps(result, overlay) {
  overlay.overlaps.clear();
  const wanted = result.layers.filter((l) => l.role !== 'extent' && l.features?.length);
  await Promise.all(wanted.map(async (layer) => {
    for (const part of layer.features.slice(0, MAX_OVERLAP_FEATURES)) {
      const feature = await api(`/ogc/collections/${encodeURIComponent(layer.layer)}/items/${encodeURIComponent(part.key)}`)
        .catch(() => null);
      if (feature?.geometry) {
        const drawn = readFeature(feature);
        drawn.set('layer', layer.layer);
        overlay.overlaps.addFeature(drawn);
      }
    }
  }));
  document.body.dataset.overlaps = String(overlay.overlaps.getFeatures().length);
}

function resultView(outputs) {
  const { result } = outputs;
  const conclusions = table(['审查项', '结论', '说明'], result.conclusions.map((c) => h('tr', { 'data-rule': c.rule },
    h('td', {}, c.title), h('td', {}, badge(c.result)), h('td', {}, c.message || ''))), { id: 'review-conclusions' });
  const overlapping = result.layers.filter((l) => l.role !== 'extent');
  const layers = table(['图层', '版本', '叠加面积(平方米)', '公顷', '占项目比例'], overlapping.map((l) => h('tr', { 'data-layer': l.layer },
    h('td', {}, l.title), h('td', { class: 'num' }, l.version ? `v${l.version}` : '—'),
    h('td', { class: 'num' }, area(l.overlap_area_m2)), h('td', { class: 'num' }, ha(l.overlap_area_m2)),
    h('td', { class: 'num' }, percent(l.overlap_ratio)))), { id: 'review-layers' });
  const byClass = overlapping.filter((l) => l.by_class?.length).map((l) => h('details', { class: 'by-class', 'data-layer': l.layer },
    h('summary', {}, `${l.title}:按地类/用途分类面积`),
    table(['代码', '名称', '面积(平方米)', '公顷', '亩'], [...l.by_class, ...(l.subtotals || [])].map((r) => [
      r.code, r.name, area(r.area_m2), ha(r.area_m2), Number(r.area_mu || 0).toFixed(4)]))));
  const link = (key, text, id) => (outputs[key]?.href ? h('a', { href: outputs[key].href, download: '', id, class: 'button' }, text) : null);
  return h('div', { id: 'review-result' },
    h('p', {}, `项目 ${result.project.id}:`, badge(result.result),
      ` 面积 ${area(result.project.area_m2)} 平方米(${ha(result.project.area_m2)} 公顷)`),
    h('div', { class: 'line start' }, link('report_pdf', '下载 PDF 报告', 'review-pdf'), link('report_docx', '下载 Word 报告', 'review-docx')),
    h('h3', {}, '审查结论'), conclusions, h('h3', {}, '叠加分析'), layers, byClass);
}

function historyView(projectId, record, onFeedback) {
  const kinds = record.feedback_kinds || {};
  const kind = h('select', { id: 'feedback-kind' }, Object.keys(kinds).map((k) => h('option', { value: k }, k)));
  const outcome = h('select', { id: 'feedback-result' });
  const fillOutcomes = () => clear(outcome, (kinds[kind.value] || []).map((r) => h('option', { value: r }, r)));
  kind.addEventListener('change', fillOutcomes);
  fillOutcomes();
  const date = h('input', { type: 'date', id: 'feedback-date' });
  const number = h('input', { id: 'feedback-number', placeholder: '文号,如 某自然资规许〔2026〕12号', maxlength: 100 });
  const note = h('input', { id: 'feedback-note', placeholder: '备注', maxlength: 2000 });
  const status = statusLine('feedback-status');
  const send = async () => {
    status.clear();
    try {
      await api(`/api/projects/${encodeURIComponent(projectId)}/feedback`, { method: 'POST', body: {
        kind: kind.value, result: outcome.value, date: date.value || null, document_number: number.value.trim(),
        note: note.value.trim() } });
      await onFeedback();
    } catch (error) {
      status.error(`反馈失败:${error.message}`);
    }
  };
  const rows = record.history.map((e) => h('tr', { 'data-kind': e.kind }, h('td', {}, when(e.at)),
    h('td', {}, e.kind), h('td', {}, e.result), h('td', {}, e.date || ''), h('td', {}, e.document_number || ''),
    h('td', {}, e.actor), h('td', {}, e.kind === '审查' ? '' : e.note || '')));
  return h('div', { id: 'project-history' },
    h('h3', {}, `项目历史:${projectId}(${record.runs.length} 次审查)`),
    table([zoned('时间'), '类型', '结果', '办理日期', '文号', '办理人', '备注'], rows),
    h('h3', {}, '办理结果反馈'),
    h('div', { class: 'line' }, line('类型', kind), line('结果', outcome), line('日期', date)),
    h('div', { class: 'line' }, number, note, h('button', { type: 'button', id: 'feedback-send', onclick: send }, '提交反馈')),
    status);
}

function compliancePage({ map }) {
  const overlay = overlayLayer(map);
  const draw = drawTool(map);
  const state = { boundary: null };
  const file = filePicker('review-file', '.geojson,.json,.zip,.txt,.csv,.gpkg', 'GeoJSON、Shapefile 压缩包(.zip)或部标界址点坐标文本(.txt)');
  const projectId = h('input', { id: 'review-project', placeholder: '如 2026-001(缺省自动生成)', maxlength: 64 });
  const source = h('p', { class: 'muted', id: 'review-source' }, '上传项目范围文件,或在地图上绘制');
  const bar = progressBar('review-progress');
  const status = statusLine('review-status');
  const output = h('div', {});
  const historyBox = h('div', {});
  const run = h('button', { type: 'button', class: 'primary', id: 'review-run', disabled: true }, '开始审查');
  const setBoundary = (collection, text) => {
    state.boundary = collection;
    overlay.overlaps.clear();
    overlay.showBoundary(collection);
    source.textContent = text;
    run.disabled = false;
  };
  file.input.addEventListener('change', async () => {
    if (!file.input.files.length) return;
    status.clear();
    draw.clear();
    const form = new FormData();
    form.append('file', file.input.files[0]);
    try {
      const read = await upload('/api/projects/boundary', form);
      if (read.project_id && !projectId.value) projectId.value = read.project_id;
      setBoundary(read.boundary, `已读取 ${read.source}:${read.boundary.features.length} 个地块,`
        + `坐标系 ${read.boundary.crs.properties.name}${read.problems.length ? `,${read.problems.length} 处几何问题` : ''}`);
    } catch (error) {
      state.boundary = null;
      run.disabled = true;
      overlay.clear();
      status.error(`读取项目范围失败:${error.message}`);
    }
  });
  const drawButton = h('button', { type: 'button', id: 'review-draw', onclick: () => {
    status.clear();
    file.reset();
    overlay.clear();
    source.textContent = '在地图上单击绘制项目范围,双击结束';
    draw.start('polygon', () => {
      const geometry = draw.geometry(); // EPSG:4490 longitude/latitude
      const feature = new GeoJSON().writeFeatureObject(new Feature(geometry));
      draw.clear();
      setBoundary({ type: 'FeatureCollection', crs: { type: 'name', properties: { name: GEOGRAPHIC } },
        features: [{ ...feature, properties: { DKBH: '1', DKMC: '绘制地块' } }] }, '已绘制 1 个地块(CGCS2000 经纬度)');
    });
  } }, '在地图上绘制');
  const showProject = async (id) => {
    const record = await api(`/api/projects/${encodeURIComponent(id)}`);
    clear(historyBox, historyView(id, record, () => showProject(id)));
    return record;
  };
  run.addEventListener('click', async () => {
    status.clear();
    clear(output);
    run.disabled = true;
    try {
      const inputs = { boundary: state.boundary };
      if (projectId.value.trim()) inputs.project_id = projectId.value.trim();
      const outputs = await runProcess('compliance-review', inputs, bar);
      clear(output, resultView(outputs));
      status.info(`审查完成:${outputs.result.result}`);
      await drawOverlaps(outputs.result, overlay);
      await showProject(outputs.result.project.id);
    } catch (error) {
      status.error(`审查失败:${error.message}`);
    } finally {
      run.disabled = !state.boundary;
    }
  });
  const lookup = h('input', { id: 'history-project', placeholder: '项目编号' });
  const find = h('button', { type: 'button', id: 'history-find', onclick: async () => {
    status.clear();
    try {
      const record = await showProject(lookup.value.trim());
      overlay.showBoundary(record.boundary);
      clear(output, resultView({ result: record.result, report_pdf: { href: record.links['report.pdf'] },
        report_docx: { href: record.links['report.docx'] } }));
      await drawOverlaps(record.result, overlay);
    } catch (error) {
      clear(historyBox);
      status.error(`查询失败:${error.message}`);
    }
  } }, '查看项目');
  const element = h('div', { class: 'business-page query', id: 'page-review' },
    h('h3', {}, '项目范围'), file, h('div', { class: 'line start' }, h('span', { class: 'muted' }, '或'), drawButton), source,
    line('项目编号', projectId), h('div', { class: 'line' }, run), bar, status, output, historyBox,
    h('h3', {}, '已审查项目'), h('div', { class: 'line' }, lookup, find));
  element.refresh = () => overlay.fit();
  return element;
}

/** The 合规性审查 tab. */
export function installCompliance({ panel, tabs, map }) {
  installTab({ panel, tabs }, 'review', '合规性审查', compliancePage({ map }));
}

// 承载能力监测预警 (S5): the county and its towns on the map coloured by grade (超载/临界超载/不超载), a year's
// evaluation (run on demand), per region the factors against their thresholds (ECharts bars, value ÷ 超载阈值) and
// the overload factors with their contributions, the measures taken (add, progress with notes) and the report.
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Fill, Stroke, Style, Text } from 'ol/style.js';
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';
import { when } from '../localtime.js';
import { onViewCrsChange, viewCode } from '../viewcrs.js';
import { installTab, line, statusLine, table } from './jobs.js';

const STATUSES = ['未开始', '实施中', '已完成'];
let echartsLoaded = null;
const fmt = (value, digits = 3) => (value === null || value === undefined ? '—' : Number(value).toFixed(digits));
const pct = (value) => `${(value * 100).toFixed(1)}%`;

function gradeLayer(map) {
  const source = new VectorSource();
  const styles = {};
  map.addLayer(new VectorLayer({ source, zIndex: 1001, style: (feature) => {
    if (feature.get('county')) return new Style({ stroke: new Stroke({ color: '#333', width: 2 }) });
    const key = `${feature.get('colour')}|${feature.get('name')}`;
    styles[key] ||= new Style({ stroke: new Stroke({ color: '#444', width: 1 }),
      fill: new Fill({ color: `${feature.get('colour')}99` }),
      text: new Text({ text: feature.get('name'), font: '12px sans-serif', fill: new Fill({ color: '#222' }) }) });
    return styles[key];
  } }));
  onViewCrsChange((next, previous) => {
    for (const feature of source.getFeatures()) feature.getGeometry()?.transform(previous.code, next.code);
  });
  return source;
}

function chip(grade, colours) {
  return h('span', { class: 'level-chip', style: `background:${colours[grade] || '#999'}`, 'data-grade': grade }, grade);
}

async function factorChart(box, factors, colours) {
  echartsLoaded ??= import('../charts.js').then((m) => m.echarts);
  const echarts = await echartsLoaded;
  const shown = factors.filter((f) => f.value !== null);
  const chart = echarts.init(box);
  const outline = (name, values, colour) => ({ name, type: 'bar', barGap: '-100%', data: values, z: 3,
    itemStyle: { color: 'transparent', borderColor: colour, borderWidth: 2, borderType: 'dashed' } });
  chart.setOption({ tooltip: {}, legend: { top: 0 }, grid: { left: 150, right: 20, top: 30, bottom: 30 },
    yAxis: { type: 'category', data: shown.map((f) => f.name), axisLabel: { width: 140, overflow: 'truncate' } },
    xAxis: { type: 'value', name: '因子值 / 超载阈值' },
    series: [{ name: '因子值', type: 'bar', data: shown.map((f) => ({ value: Number((f.value / f.over).toFixed(3)),
      itemStyle: { color: colours[f.grade] } })) },
    outline('临界超载阈值', shown.map((f) => Number((f.critical / f.over).toFixed(3))), colours['临界超载']),
    outline('超载阈值', shown.map(() => 1), colours['超载'])] });
}

function carryingPage({ map }) {
  const state = { definition: null, colours: {}, rows: [], selected: null };
  const source = gradeLayer(map);
  const status = statusLine('cc-status');
  const period = h('input', { id: 'cc-period', type: 'number', min: 1900, max: 2200, value: new Date().getFullYear() - 1 });
  const region = h('input', { id: 'cc-region', placeholder: '行政区划代码前缀(可空)', size: 16 });
  const summary = h('div', { id: 'cc-summary', class: 'mon-summary' });
  const list = h('div', { id: 'cc-list' });
  const detail = h('div', { id: 'cc-detail' });
  const measures = h('div', { id: 'cc-measures' });
  const method = h('details', { id: 'cc-method' }, h('summary', {}, '因子与阈值'));
  const reportLink = (format, text) => h('a', { id: `cc-report-${format}`, href: '#', download: '', onclick: (event) => {
    const params = { period: period.value, format };
    if (region.value.trim()) params.region = region.value.trim();
    event.currentTarget.href = `/api/carrying/report${query(params)}`;
  } }, text);
  const params = () => ({ period: period.value, ...(region.value.trim() ? { region: region.value.trim() } : {}) });

  const renderMethod = () => {
    const d = state.definition;
    clear(method, h('summary', {}, '因子与阈值'), h('p', { class: 'muted' }, `${d.integration.text};定义版本 ${d.version};`
      + '阈值多为示例默认值,可由省级 carrying*.yaml 覆盖。'),
    table(['维度', '因子', '临界超载', '超载', '可信度', '依据'], d.factors.map((f) => [f.dimension, f.name,
      String(f.critical), String(f.over), f.confidence, f.evidence]), { id: 'cc-factors' }));
  };

  const zoomTo = (code) => {
    const feature = source.getFeatureById(code);
    if (feature?.getGeometry()) map.getView().fit(feature.getGeometry().getExtent(), { padding: [60, 60, 60, 60], duration: 200 });
  };

  const renderList = () => {
    const counts = {};
    for (const r of state.rows) counts[r.grade] = (counts[r.grade] || 0) + 1;
    clear(summary, ...['超载', '临界超载', '不超载', '数据不足'].map((g) => h('span', { class: 'mon-count' },
      chip(g, state.colours), h('b', { 'data-count': g }, String(counts[g] || 0)))));
    const rows = state.rows.map((r) => h('tr', { 'data-region': r.region, 'data-grade': r.grade,
      class: r.region === state.selected ? 'locatable selected' : 'locatable', title: '单击查看因子并定位',
      onclick: () => open(r.region) },
    h('td', {}, r.region), h('td', {}, r.name), h('td', {}, chip(r.grade, state.colours)),
    h('td', {}, r.overload.map((o) => `${o.name}(${pct(o.share)})`).join('、') || '—'), h('td', {}, when(r.at))));
    clear(list, state.rows.length ? table(['区域', '名称', '等级', '超载因子(贡献)', '评价时间'], rows, { id: 'cc-table' })
      : h('p', { class: 'muted', id: 'cc-empty' }, `${period.value} 年尚无评价结果,请点击“评价”`));
  };

  const termText = (term) => {
    if (!term) return '';
    const p = term.provenance || {};
    const where = p.source === '一张图计算' ? `一张图计算(${Object.entries(p.layers || {}).map(([l, v]) => `${l} v${v}`).join('、')})`
      : p.source === '记录库' ? `${p.status === 'confirmed' ? '已确认' : '填报'}(${p.actor})` : (p.source || '');
    return term.value === null ? term.reason : `${term.label} = ${fmt(term.value, 2)} ${term.unit || ''} ${where}`;
  };

  const renderDetail = (row) => {
    const chart = h('div', { id: 'cc-chart', style: 'width: 100%; height: 260px' });
    const factors = row.factors.map((f) => h('tr', { 'data-factor': f.id, 'data-grade': f.grade || '数据不足' },
      h('td', {}, f.dimension), h('td', {}, f.name), h('td', { class: 'num' }, fmt(f.value)),
      h('td', { class: 'num' }, `${f.critical} / ${f.over}`), h('td', {}, f.grade ? chip(f.grade, state.colours) : '数据不足'),
      h('td', { class: 'muted' }, f.value === null ? f.reason : Object.values(f.terms).map(termText).join(';'))));
    const overload = row.overload.map((o) => [o.dimension, o.name, o.grade, fmt(o.value), pct(o.excess), pct(o.share)]);
    clear(detail, h('h4', {}, `${row.name}(${row.region})${row.period} 年:`, chip(row.grade, state.colours)),
      chart, table(['维度', '因子', '因子值', '临界/超载阈值', '等级', '数据来源'], factors, { id: 'cc-factor-table' }),
      h('h5', {}, '超载因子'), overload.length ? table(['维度', '因子', '等级', '因子值', '超出临界阈值', '贡献'], overload,
        { id: 'cc-overload' }) : h('p', { class: 'muted', id: 'cc-overload' }, '无超载或临界超载因子'));
    factorChart(chart, row.factors, state.colours);
  };

  const measureForm = () => {
    const target = state.selected || region.value.trim();
    const title = h('input', { id: 'cc-m-title', placeholder: '措施名称', size: 24 });
    const department = h('input', { id: 'cc-m-department', placeholder: '责任部门', size: 12 });
    const start = h('input', { id: 'cc-m-start', type: 'date' });
    const due = h('input', { id: 'cc-m-due', type: 'date' });
    const factor = h('select', { id: 'cc-m-factor' }, h('option', { value: '' }, '(不指定)'),
      (state.definition?.factors || []).map((f) => h('option', { value: f.id }, f.name)));
    const add = h('button', { type: 'button', id: 'cc-m-add', class: 'primary', onclick: async () => {
      add.disabled = true;
      try {
        if (!target) throw new Error('请先在列表中选择区域');
        await api('/api/carrying/measures', { method: 'POST', body: { region: target, title: title.value,
          department: department.value, start: start.value, due: due.value, factor: factor.value } });
        status.info('已登记措施');
        await loadMeasures();
      } catch (error) {
        status.error(error.message);
      } finally {
        add.disabled = false;
      }
    } }, '登记措施');
    return h('div', { class: 'filters', id: 'cc-m-form' }, h('span', {}, `为 ${target || '(未选区域)'} 登记:`), title, department,
      line('开始', start), line('期限', due), line('针对因子', factor), add);
  };

  const progressCell = (m) => {
    const next = h('select', { class: 'cc-p-status' }, STATUSES.map((s) => h('option', { value: s, selected: s === m.status }, s)));
    const note = h('input', { class: 'cc-p-note', placeholder: '进展说明', size: 16 });
    const send = h('button', { type: 'button', class: 'cc-p-send', onclick: async () => {
      send.disabled = true;
      try {
        await api(`/api/carrying/measures/${m.id}/progress`, { method: 'POST',
          body: { status: next.value === m.status ? null : next.value, note: note.value } });
        status.info(`措施 ${m.id} 已更新`);
        await loadMeasures();
      } catch (error) {
        status.error(error.message);
      } finally {
        send.disabled = false;
      }
    } }, '更新');
    return h('span', {}, next, note, send);
  };

  const loadMeasures = async () => {
    const within = state.selected || region.value.trim();
    const rows = await api(`/api/carrying/measures${query(within ? { region: within } : {})}`);
    clear(measures, h('h4', {}, `调控措施${within ? `(${within})` : ''}`), measureForm(),
      rows.length ? table(['编号', '区域', '措施', '责任部门', '开始', '期限', '状态', '最新进展', '记录进展'], rows.map((m) => h('tr', {
        'data-measure': m.id, 'data-status': m.status }, h('td', {}, String(m.id)), h('td', {}, m.region), h('td', {}, m.title),
      h('td', {}, m.department), h('td', {}, m.start), h('td', {}, m.due), h('td', { class: m.overdue ? 'error' : '' },
        m.status + (m.overdue ? '(逾期)' : '')), h('td', {}, m.notes.length ? `${m.notes.at(-1).note || m.notes.at(-1).to}(${m.notes.at(-1).actor})` : ''),
      h('td', {}, progressCell(m)))), { id: 'cc-measure-table' }) : h('p', { class: 'muted', id: 'cc-no-measures' }, '尚无措施'));
  };

  const load = async () => {
    const geo = await api(`/api/carrying/map${query(params())}`);
    source.clear();
    source.addFeatures(new GeoJSON().readFeatures({ ...geo, features: geo.features.filter((f) => f.geometry) },
      { dataProjection: 'EPSG:4490', featureProjection: viewCode() }));
    state.rows = (await api(`/api/carrying/results${query(params())}`)).regions;
    renderList();
    const still = state.rows.find((r) => r.region === state.selected);
    if (still) renderDetail(still); else clear(detail);
    await loadMeasures();
  };

  async function open(code) {
    state.selected = code;
    renderList();
    renderDetail(state.rows.find((r) => r.region === code));
    zoomTo(code);
    try {
      await loadMeasures();
    } catch (error) {
      status.error(error.message);
    }
  }

  const guarded = (button, work) => async () => {
    status.clear();
    button.disabled = true;
    try {
      await work();
    } catch (error) {
      status.error(error.message);
    } finally {
      button.disabled = false;
    }
  };
  const evaluate = h('button', { type: 'button', class: 'primary', id: 'cc-evaluate' }, '评价');
  evaluate.addEventListener('click', guarded(evaluate, async () => {
    const body = { period: Number(period.value), ...(region.value.trim() ? { region: region.value.trim() } : {}) };
    const answer = await api('/api/carrying/evaluate', { method: 'POST', body });
    status.info(`已评价 ${answer.regions.length} 个区域:超载 ${answer.counts['超载']} 个,临界超载 ${answer.counts['临界超载']} 个`);
    await load();
  }));
  const show = h('button', { type: 'button', id: 'cc-show' }, '查看');
  show.addEventListener('click', guarded(show, load));

  const page = h('div', { class: 'business-page', id: 'carrying-page' },
    h('div', { class: 'filters' }, line('年份', period), line('区域', region), evaluate, show,
      h('span', { class: 'mon-reports' }, '监测预警报告:', reportLink('pdf', 'PDF'), ' ', reportLink('docx', 'Word'))),
    summary, status, list, detail, measures, method);
  page.refresh = async () => {
    try {
      if (!state.definition) {
        state.definition = await api('/api/carrying/definition');
        state.colours = { ...Object.fromEntries(state.definition.grades.map((g) => [g.code, g.colour])), 数据不足: '#bdbdbd' };
        renderMethod();
        const years = (await api('/api/carrying/periods')).periods;
        if (years.length) period.value = years[0];
      }
      await load();
    } catch (error) {
      status.error(error.message);
    }
  };
  return page;
}

/** The 承载能力 tab. */
export function installCarrying({ panel, tabs, map }) {
  installTab({ panel, tabs }, 'carrying', '承载能力', carryingPage({ map }));
}

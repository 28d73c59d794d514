// 指标管理 (S6.1): browse the indicator tree (体系 → 维度 → 类别 → 指标), see and edit a formula (validated by the
// server, its Chinese error shown as is), compute a region's indicators for a year, the table of values with their
// status (计算/填报/已确认), report and confirm values, compare two years (table and ECharts bar), and import an
// approved plan's 规划指标表 (its targets and base-year values).
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';
import { filePicker, installTab, line, statusLine, table, upload } from './jobs.js';

const STATUS = { computed: '计算', reported: '填报', confirmed: '已确认' };
const KIND = { area: '面积', count: '计数', length: '长度', expression: '表达式', ratio: '比值', difference: '差值',
  sum: '求和', reported: '填报' };
let echartsLoaded = null;

const fmt = (value) => (value === null || value === undefined ? '' : Number(value).toLocaleString('zh-CN', { maximumFractionDigits: 4 }));

function treeView(systems, onPick) {
  const leaf = (i) => h('li', { class: 'ind-leaf', 'data-code': i.code, title: i.computable ? '可由一张图计算' : '需填报',
    onclick: () => onPick(i.code) }, `${i.code} ${i.name}`, i.unit ? h('span', { class: 'muted' }, `(${i.unit})`) : null,
  i.kind ? h('span', { class: 'muted' }, ` [${KIND[i.kind] || i.kind}]`) : null);
  return h('div', { id: 'ind-tree', class: 'ind-tree' }, systems.map((s) => h('details', { open: s.name === '体检评估' },
    h('summary', {}, s.name), s.dimensions.map((d) => h('details', {}, h('summary', {}, d.name),
      d.categories.map((c) => h('details', {}, h('summary', {}, c.name), h('ul', {}, c.indicators.map(leaf)))))))));
}

function formulaEditor(indicator, status, onSaved) {
  const formula = { ...(indicator.formula || { kind: 'reported' }) };
  delete formula.version;
  const text = h('textarea', { id: 'ind-formula', rows: 8, cols: 60, spellcheck: false }, JSON.stringify(formula, null, 2));
  const body = () => {
    try {
      return JSON.parse(text.value);
    } catch {
      throw new Error('公式应为 JSON,如 {"kind": "area", "layer": "DLTB", "unit": "公顷"}');
    }
  };
  const send = async (method, path) => {
    status.clear();
    try {
      const answer = await api(path, { method, body: body() });
      status.info(method === 'PUT' ? `已保存为第 ${answer.formula.version} 版` : '公式有效');
      if (method === 'PUT') onSaved(indicator.code);
    } catch (error) {
      status.error(error.message);
    }
  };
  const code = encodeURIComponent(indicator.code);
  return h('div', {}, text, h('div', { class: 'line start' },
    h('button', { type: 'button', id: 'ind-validate', onclick: () => send('POST', `/api/indicators/${code}/formula/validate`) }, '校验'),
    h('button', { type: 'button', class: 'primary', id: 'ind-save', onclick: () => send('PUT', `/api/indicators/${code}/formula`) }, '保存公式')));
}

function detailView(indicator, onSaved) {
  const status = statusLine('ind-formula-status');
  const f = indicator.formula;
  return h('div', { id: 'ind-detail', 'data-code': indicator.code },
    h('h3', {}, `${indicator.code} ${indicator.name}`),
    h('p', {}, `${indicator.system} / ${indicator.dimension} / ${indicator.category};单位:${indicator.unit || '—'};`
      + `属性:${indicator.attribute || '未注明'}`),
    indicator.definition ? h('p', { class: 'muted' }, `释义:${indicator.definition}`) : null,
    h('p', { class: 'muted' }, `来源:${indicator.source};可信度:${indicator.confidence || '—'}`),
    h('p', { id: 'ind-formula-version' }, f ? `公式(${KIND[f.kind] || f.kind},第 ${f.version} 版)` : '无公式(由部门填报)'),
    formulaEditor(indicator, status, onSaved), status);
}

function valuesTable(rows) {
  return table(['代码', '名称', '值', '单位', '状态', '公式版本', '操作人', '时间'], rows.map((r) => h('tr', { 'data-code': r.code, 'data-status': r.status },
    h('td', {}, r.code), h('td', {}, r.name), h('td', { class: 'num' }, fmt(r.value)), h('td', {}, r.unit),
    h('td', {}, STATUS[r.status] || r.status), h('td', {}, r.formula_version ?? ''), h('td', {}, r.actor),
    h('td', {}, (r.at || '').slice(0, 19).replace('T', ' ')))), { id: 'ind-values' });
}

async function compareChart(box, rows) {
  echartsLoaded ??= import('../charts.js').then((m) => m.echarts);
  const echarts = await echartsLoaded;
  const shown = rows.filter((r) => r.change_percent !== null).slice(0, 20);
  const chart = echarts.init(box);
  chart.setOption({ tooltip: {}, grid: { left: 60, right: 20, bottom: 90 },
    xAxis: { type: 'category', data: shown.map((r) => r.name), axisLabel: { rotate: 45, interval: 0 } },
    yAxis: { type: 'value', name: '变化率(%)' },
    series: [{ type: 'bar', data: shown.map((r) => Number(r.change_percent.toFixed(2))) }] });
}

function indicatorsPage() {
  const tree = h('div', {});
  const detail = h('div', {});
  const region = h('input', { id: 'ind-region', placeholder: '行政区划代码,如 341799', size: 14 });
  const period = h('input', { id: 'ind-period', type: 'number', value: new Date().getFullYear(), min: 1900, max: 2200 });
  const from = h('input', { id: 'ind-from', type: 'number', value: new Date().getFullYear() - 1 });
  const status = statusLine('ind-status');
  const values = h('div', {});
  const compared = h('div', { id: 'ind-compare-result' });
  const chart = h('div', { id: 'ind-chart', style: 'width: 100%; height: 320px' });
  const pick = async (code) => {
    try {
      clear(detail, detailView(await api(`/api/indicators/${encodeURIComponent(code)}`), pick));
    } catch (error) {
      clear(detail, h('p', { class: 'error' }, error.message));
    }
  };
  const loadValues = async () => {
    const rows = await api(`/api/indicators/values${query({ region: region.value, period: period.value })}`);
    clear(values, h('p', { class: 'muted', id: 'ind-values-count' }, `共 ${rows.length} 项`), valuesTable(rows));
  };
  const guarded = (button, work) => async () => {
    status.clear();
    button.disabled = true;
    try {
      if (!/^\d{2,19}$/.test(region.value)) throw new Error('请输入行政区划代码(数字)');
      await work();
    } catch (error) {
      status.error(error.message);
    } finally {
      button.disabled = false;
    }
  };
  const compute = h('button', { type: 'button', class: 'primary', id: 'ind-compute' }, '计算');
  compute.addEventListener('click', guarded(compute, async () => {
    const result = await api('/api/indicators/compute', { method: 'POST', body: { region: region.value, period: Number(period.value) } });
    status.info(`已计算 ${result.computed.length} 项,未计算 ${result.skipped.length} 项`
      + (result.skipped.length ? `(如 ${result.skipped[0].code}:${result.skipped[0].reason})` : ''));
    await loadValues();
  }));
  const show = h('button', { type: 'button', id: 'ind-show' }, '查看指标值');
  show.addEventListener('click', guarded(show, loadValues));
  const compare = h('button', { type: 'button', id: 'ind-compare' }, '两期比较');
  compare.addEventListener('click', guarded(compare, async () => {
    const answer = await api(`/api/indicators/compare${query({ region: region.value, from: from.value, to: period.value })}`);
    clear(compared, table(['代码', '名称', '单位', `${answer.from} 年`, `${answer.to} 年`, '变化', '变化率(%)'],
      answer.indicators.map((r) => h('tr', { 'data-code': r.code }, h('td', {}, r.code), h('td', {}, r.name), h('td', {}, r.unit),
        h('td', { class: 'num' }, fmt(r.from)), h('td', { class: 'num' }, fmt(r.to)), h('td', { class: 'num' }, fmt(r.change)),
        h('td', { class: 'num' }, fmt(r.change_percent))))), chart);
    await compareChart(chart, answer.indicators);
  }));
  const planFile = filePicker('ind-plan-file', '.xlsx', '规划成果中的规划指标表(Excel)');
  const planResult = h('div', { id: 'ind-plan-result' });
  const importPlan = h('button', { type: 'button', id: 'ind-plan-import' }, '导入规划指标表');
  importPlan.addEventListener('click', guarded(importPlan, async () => {
    const chosen = planFile.input.files[0];
    if (!chosen) throw new Error('请先选择规划指标表(.xlsx)');
    const form = new FormData();
    form.append('region', region.value);
    form.append('file', chosen);
    const result = await upload('/api/indicators/plan-table', form);
    status.info(`已导入 ${result.recorded.length} 项指标(目标年 ${result.target_year}),未能对应 ${result.skipped.length} 项`);
    clear(planResult, table(['代码', '指标', '单位', `基期年(${result.base_year ?? '—'})`, `目标年(${result.target_year})`],
      result.recorded.map((r) => [r.code, r.name, r.unit, fmt(r.base), fmt(r.target)]), { id: 'ind-plan-table' }),
    ...result.skipped.map((r) => h('p', { class: 'muted' }, `未导入 ${r.name}(${r.unit}):${r.reason}`)));
    planFile.reset();
  }));
  const element = h('div', { class: 'business-page query', id: 'page-indicators' },
    h('h3', {}, '指标体系'), tree, detail,
    h('h3', {}, '指标值'), line('区域', region), line('年份', period), h('div', { class: 'line start' }, compute, show),
    line('比较基期', from), h('div', { class: 'line start' }, compare),
    h('h3', {}, '规划目标'), planFile, h('div', { class: 'line start' }, importPlan), status, planResult, values, compared);
  element.refresh = async () => {
    if (tree.childElementCount) return;
    try {
      clear(tree, treeView((await api('/api/indicators')).systems, pick));
    } catch (error) {
      clear(tree, h('p', { class: 'error' }, error.message));
    }
  };
  return element;
}

/** The 指标管理 tab. */
export function installIndicators({ panel, tabs }) {
  installTab({ panel, tabs }, 'indicators', '指标管理', indicatorsPage());
}

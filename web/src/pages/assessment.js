// 体检评估 (S4.3): choose a region and year, run the assessment as a job (process `assessment`, with progress),
// then the graded TD/T 1063 table (达标/预警/未达标, the value's source, earlier years and the trend, the target and
// the value expected this year, why an indicator could not be assessed), an ECharts bar of the grades per 维度,
// a line of one indicator over the years, and downloads: the report (PDF, Word) and the package for the upper node.
// Earlier assessments of the region are listed (/api/assessment/runs) and open the same way.
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';
import { installTab, line, progressBar, runProcess, statusLine, table } from './jobs.js';

const COLOURS = { 达标: '#3ba272', 预警: '#fac858', 未达标: '#ee6666', 不评价: '#c8c9cc' };
const GRADES = ['达标', '预警', '未达标', '不评价'];
const TREND = { 向好: '↑ 向好', 变差: '↓ 变差', 持平: '→ 持平' };
const FILES = { report_pdf: '体检评估报告 PDF', report_docx: '体检评估报告 Word', package: '上报成果包 ZIP', assessment_json: '结果 JSON' };
let echartsLoaded = null;

const fmt = (value) => (value === null || value === undefined ? '—'
  : Number(value).toLocaleString('zh-CN', { maximumFractionDigits: 2, minimumFractionDigits: 2 }));
const chip = (grade) => h('span', { class: 'grade-chip', 'data-grade': grade, style: `background:${COLOURS[grade]}` }, grade);
const charts = () => { echartsLoaded ??= import('../charts.js').then((m) => m.echarts); return echartsLoaded; };

async function gradeChart(box, assessment) {
  const echarts = await charts();
  const dims = assessment.dimensions;
  echarts.init(box).setOption({ tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 40, right: 10, top: 30, bottom: 24 },
    xAxis: { type: 'category', data: dims.map((d) => d.name) }, yAxis: { type: 'value', name: '指标数' },
    series: GRADES.map((g) => ({ name: g, type: 'bar', stack: 'grades', itemStyle: { color: COLOURS[g] },
      data: dims.map((d) => d.counts[g]) })) });
}

async function trendChart(box, row, year) {
  const echarts = await charts();
  const years = [...row.history.map((p) => String(p.year)), String(year)];
  const values = [...row.history.map((p) => p.value), row.value];
  const chart = echarts.getInstanceByDom(box) || echarts.init(box);
  chart.setOption({ title: { text: `${row.name}${row.unit ? `(${row.unit})` : ''}`, textStyle: { fontSize: 13 } },
    tooltip: { trigger: 'axis' }, grid: { left: 60, right: 20, top: 40, bottom: 24 },
    xAxis: { type: 'category', data: years }, yAxis: { type: 'value', scale: true },
    series: [{ type: 'line', data: values, smooth: false, areaStyle: { opacity: 0.1 },
      markLine: row.target === null ? undefined : { symbol: 'none', lineStyle: { color: COLOURS.未达标, type: 'dashed' },
        label: { formatter: `目标 ${fmt(row.target)}(${row.target_year})` }, data: [{ yAxis: row.target }] } }] }, true);
}

function history(row) {
  if (!row.history.length) return '—';
  return row.history.map((p) => `${p.year}:${fmt(p.value)}`).join(';');
}

function gradedTable(assessment, onPick) {
  const dimension = h('select', { id: 'as-dimension' }, h('option', { value: '' }, '全部维度'),
    assessment.dimensions.map((d) => h('option', { value: d.name }, d.name)));
  const grade = h('select', { id: 'as-grade' }, h('option', { value: '' }, '全部评价'), GRADES.map((g) => h('option', { value: g }, g)));
  const valued = h('input', { type: 'checkbox', id: 'as-valued', checked: true });
  const count = h('span', { class: 'muted', id: 'as-count' });
  const box = h('div', {});
  const render = () => {
    const rows = assessment.indicators.filter((r) => (!dimension.value || r.dimension === dimension.value)
      && (!grade.value || r.grade === grade.value) && (!valued.checked || r.value !== null || r.target !== null));
    count.textContent = `共 ${rows.length} 项`;
    clear(box, table(['指标', '本年值', '往年 / 趋势', '目标值(年) / 应达值', '评价', '说明'],
      rows.map((r) => h('tr', { 'data-code': r.code, 'data-grade': r.grade, class: r.history.length ? 'locatable' : '',
        title: r.history.length ? '单击查看历年变化' : '', onclick: () => onPick(r) },
      h('td', {}, h('span', { class: 'muted' }, r.code), ' ', r.name, h('div', { class: 'muted' }, r.attribute)),
      h('td', { class: 'num' }, fmt(r.value), ' ', r.unit || '', h('div', { class: 'muted' }, r.source_zh)),
      h('td', { class: 'num' }, history(r), h('div', {}, TREND[r.trend] || '')),
      h('td', { class: 'num' }, r.target === null ? '—' : `${fmt(r.target)}(${r.target_year})`,
        h('div', { class: 'muted' }, r.expected === null ? '' : `应达 ${fmt(r.expected)}`)),
      h('td', {}, chip(r.grade)), h('td', { class: 'reason' }, r.reason))),
    { id: 'as-table' }));
  };
  for (const control of [dimension, grade, valued]) control.addEventListener('change', render);
  render();
  return h('div', {}, h('div', { class: 'line start' }, dimension, grade, h('label', { class: 'check' }, valued, '只看有值或有目标的指标'), count), box);
}

function runView(run) {
  const { assessment } = run;
  const s = assessment.summary;
  const chart = h('div', { id: 'as-chart', style: 'width: 100%; height: 240px' });
  const trend = h('div', { id: 'as-trend', style: 'width: 100%; height: 220px', hidden: true });
  const pick = (row) => {
    if (!row.history.length) return;
    trend.hidden = false;
    trend.dataset.code = row.code;
    trendChart(trend, row, assessment.year);
  };
  const links = run.files.filter((f) => FILES[f.key]).map((f) => h('a', { href: f.href, download: f.name,
    class: 'button', id: `as-${f.key.replace('_', '-')}` }, FILES[f.key]));
  const view = h('div', { id: 'as-result', 'data-job': run.job_id },
    h('p', { id: 'as-summary' }, `${assessment.region_name}(${assessment.region})${assessment.year} 年:`
      + `指标 ${s.total} 项,有值 ${s.valued} 项(一张图计算 ${s.computed},部门填报 ${s.reported}),分级 ${s.graded} 项`),
    h('div', { class: 'line start grade-counts' }, ['达标', '预警', '未达标'].map((g) => h('span', {}, chip(g), h('b', { 'data-count': g }, ` ${s[g]}`)))),
    h('div', { class: 'line start', id: 'as-downloads' }, links),
    chart, gradedTable(assessment, pick), trend,
    h('p', { class: 'muted' }, `评估人 ${run.owner},完成于 ${(run.finished || '').replace('T', ' ').slice(0, 19)};`
      + `口径版本 ${assessment.grading.version};图层 ${Object.entries(assessment.layers).map(([k, v]) => `${k} v${v}`).join('、') || '—'}`));
  requestAnimationFrame(() => gradeChart(chart, assessment));
  return view;
}

function assessmentPage() {
  const region = h('input', { id: 'as-region', placeholder: '行政区划代码,如 341799', size: 14 });
  const year = h('input', { id: 'as-year', type: 'number', value: new Date().getFullYear(), min: 1900, max: 2200 });
  const bar = progressBar('as-progress');
  const status = statusLine('as-status');
  const runs = h('div', { id: 'as-runs' });
  const output = h('div', {});
  const open = async (jobId) => {
    clear(output, runView(await api(`/api/assessment/runs/${encodeURIComponent(jobId)}`)));
  };
  const listRuns = async () => {
    const answer = await api(`/api/assessment/runs${query({ region: /^\d{2,19}$/.test(region.value) ? region.value : undefined })}`);
    clear(runs, answer.runs.length ? table(['区域', '年份', '达标', '预警', '未达标', '评估人', '完成时间'], answer.runs.map((r) => h('tr', {
      'data-job': r.job_id, class: 'locatable', title: '单击打开', onclick: () => open(r.job_id).catch((e) => status.error(e.message)) },
    h('td', {}, `${r.region_name}(${r.region})`), h('td', {}, String(r.year)), h('td', { class: 'num' }, String(r.summary.达标)),
    h('td', { class: 'num' }, String(r.summary.预警)), h('td', { class: 'num' }, String(r.summary.未达标)),
    h('td', {}, r.owner), h('td', {}, (r.finished || '').replace('T', ' ').slice(0, 19))))) : h('p', { class: 'muted' }, '尚无体检评估记录'));
    return answer.runs;
  };
  const run = h('button', { type: 'button', class: 'primary', id: 'as-run' }, '运行体检评估');
  run.addEventListener('click', async () => {
    status.clear();
    bar.reset();
    if (!/^\d{2,19}$/.test(region.value)) { status.error('请输入行政区划代码(数字,县 6 位、乡镇 9 位)'); return; }
    run.disabled = true;
    try {
      await runProcess('assessment', { region: region.value, year: Number(year.value) }, bar);
      const listed = await listRuns();
      const mine = listed.find((r) => r.region === region.value && r.year === Number(year.value));
      if (mine) await open(mine.job_id);
      status.info('体检评估完成,可下载报告和上报成果包');
    } catch (error) {
      status.error(error.message);
    } finally {
      run.disabled = false;
    }
  });
  const show = h('button', { type: 'button', id: 'as-list' }, '历次评估');
  show.addEventListener('click', () => listRuns().catch((e) => status.error(e.message)));
  const element = h('div', { class: 'business-page query', id: 'page-assessment' },
    h('p', { class: 'muted' }, '按 TD/T 1063 计算并评价指标:一张图计算与部门填报的数值对照规划目标值和往年数值,'
      + '生成体检评估报告与上报上级节点的成果包。'),
    line('区域', region), line('年份', year), h('div', { class: 'line start' }, run, show), bar, status,
    h('h3', {}, '历次评估'), runs, output);
  element.refresh = () => listRuns().catch((e) => clear(runs, h('p', { class: 'error' }, e.message)));
  return element;
}

/** The 体检评估 tab. */
export function installAssessment({ panel, tabs }) {
  installTab({ panel, tabs }, 'assessment', '体检评估', assessmentPage());
}

// 分组统计 by the OGC process `area-statistics` (the server computes the 三调 ellipsoid areas): by land
// class at 一级类 / 二级类 / code level, by 行政区 (village or township), or by version (年份/版本),
// within the query's region; shown as a table in 平方米, 公顷 and 亩 and an ECharts bar chart in one unit.
import { clear, h } from './dom.js';
import { fieldName } from './identify.js';
import { AREA_UNITS, execute, formatArea } from './processes.js';
import { landuseColor } from './styles.js';
import { loadEcharts } from './stats.js';
import { adminUnits } from './units.js';

const LEVELS = [[1, '一级类'], [2, '二级类'], [null, '编码']];
const isClassField = (spec) => Object.keys(spec.codes || {}).some((c) => /^\d{4}/.test(c));

/** The groupings a layer offers: [{id, label, groupBy, level, township, byVersion}]. */
export function statGroupings(layer, schema) {
  const out = [];
  const codeFields = Object.entries(schema).filter(([, spec]) => Object.keys(spec.codes || {}).length);
  const classField = codeFields.find(([, spec]) => isClassField(spec))?.[0];
  for (const [field, spec] of codeFields) {
    const name = fieldName(layer, field, schema);
    if (isClassField(spec)) {
      for (const [level, label] of LEVELS) out.push({ id: `${field}@${level ?? 0}`, label: `${name} · ${label}`, groupBy: [field], level });
    } else {
      out.push({ id: field, label: name, groupBy: [field], level: null });
    }
  }
  if (schema.ZLDWDM) {
    out.push({ id: 'town', label: '行政区 · 乡镇', groupBy: ['ZLDWDM'], level: null, township: true });
    out.push({ id: 'village', label: '行政区 · 村', groupBy: schema.ZLDWMC ? ['ZLDWDM', 'ZLDWMC'] : ['ZLDWDM'], level: null });
  } else if (schema.XZQDM) {
    out.push({ id: 'XZQDM', label: '行政区', groupBy: schema.XZQMC ? ['XZQDM', 'XZQMC'] : ['XZQDM'], level: null });
  }
  if (classField) out.push({ id: 'version', label: '年份/版本 · 一级类', groupBy: [classField], level: 1, byVersion: true });
  return out;
}

function rowsOf(statistics) {
  const [first, second] = statistics.group_by;
  return statistics.groups.map((g) => ({
    key: String(g[first] ?? ''),
    name: g[`${first}_name`] || (second ? g[second] : '') || '',
    count: g.count, area_m2: g.area_m2, area_ha: g.area_ha, area_mu: g.area_mu,
  }));
}

/** Village groups summed to their township (first 9 digits of 坐落单位代码), named from XZQ. */
async function townships(rows) {
  const names = new Map((await adminUnits()).map((u) => [u.code, u.name]));
  const out = new Map();
  for (const r of rows) {
    const key = r.key.slice(0, 9);
    const t = out.get(key) || { key, name: names.get(key) || '', count: 0, area_m2: 0, area_ha: 0, area_mu: 0 };
    for (const f of ['count', 'area_m2', 'area_ha', 'area_mu']) t[f] += r[f];
    out.set(key, t);
  }
  return [...out.values()].sort((a, b) => a.key.localeCompare(b.key));
}

const label = (r) => (r.name && r.name !== r.key ? `${r.key} ${r.name}` : r.key || '(空)');
const colorOf = (grouping) => (key) => (grouping.groupBy[0] === 'DLBM' && !grouping.township ? `rgb(${landuseColor(key).join(',')})` : '#1f5fa8');

function unitTable(rows, total) {
  const cells = (r) => [h('td', { class: 'num', 'data-unit': 'count' }, r.count),
    ...AREA_UNITS.map((u) => h('td', { class: 'num', 'data-unit': u.id }, formatArea(r[u.key], u.digits)))];
  return h('table', { class: 'results stats' },
    h('thead', {}, h('tr', {}, h('th', {}, '分类'), h('th', {}, '图斑数'), AREA_UNITS.map((u) => h('th', {}, `面积(${u.label})`)))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-key': r.key }, h('td', {}, label(r)), cells(r)))),
    h('tfoot', {}, h('tr', { 'data-key': '合计' }, h('th', {}, '合计'), cells(total))));
}

function versionTable(versions, keys, names, unit) {
  return h('table', { class: 'results stats' },
    h('thead', {}, h('tr', {}, h('th', {}, '分类'), versions.map((v) => h('th', { 'data-version': v.version }, `${v.label}(${unit.label})`)))),
    h('tbody', {}, keys.map((key) => h('tr', { 'data-key': key }, h('td', {}, label({ key, name: names.get(key) })),
      versions.map((v) => h('td', { class: 'num', 'data-version': v.version },
        formatArea(v.rows.find((r) => r.key === key)?.[unit.key] || 0, unit.digits)))))));
}

async function drawChart(box, categories, series, unit) {
  const echarts = await loadEcharts();
  box.style.height = `${Math.min(60 + categories.length * 22 * Math.max(1, series.length * 0.6), 1400)}px`;
  const chart = echarts.getInstanceByDom(box) || echarts.init(box);
  chart.resize();
  chart.setOption({
    grid: { left: 8, right: 40, top: series.length > 1 ? 28 : 20, bottom: 8, containLabel: true },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    legend: series.length > 1 ? { top: 0, textStyle: { fontSize: 11 } } : undefined,
    yAxis: { type: 'category', inverse: true, data: categories, axisLabel: { fontSize: 11, interval: 0 } },
    xAxis: { type: 'value', name: unit.label, nameTextStyle: { fontSize: 11 }, axisLabel: { fontSize: 10 } },
    series: series.map((s) => ({ type: 'bar', name: s.name, barMaxWidth: 16, data: s.data })),
    animation: false,
  }, true);
}

/**
 * The 分组统计 section for `layer` (catalog `entry`, queryables `schema`); `region()` gives the process's
 * region input (undefined: whole layer; null: the query's range is not an area).
 */
export function areaStatistics({ layer, entry, schema, region }) {
  const options = statGroupings(layer, schema);
  const grouping = h('select', { name: 'stat-group', id: 'stat-group' }, options.map((g) => h('option', { value: g.id }, g.label)));
  const unit = h('select', { name: 'stat-unit', id: 'stat-unit' }, AREA_UNITS.map((u) => h('option', { value: u.id }, u.label)));
  unit.value = 'ha';
  const status = h('p', { class: 'muted', id: 'stat-status' });
  const output = h('div', { id: 'area-stats' });
  let redraw = () => {};

  const run = async () => {
    const chosen = options.find((g) => g.id === grouping.value);
    const area = region();
    clear(output);
    if (!chosen) return;
    if (area === null) {
      status.textContent = '点、线(缓冲)范围不能作为统计区域:请用矩形、多边形或行政区';
      return;
    }
    status.textContent = '统计中…';
    delete status.dataset.done;
    const started = performance.now();
    const base = { layer, group_by: chosen.groupBy, ...(chosen.level ? { level: chosen.level } : {}), ...(area ? { region: area } : {}) };
    const progress = (p) => { status.textContent = `统计中… ${p}%`; };
    try {
      if (chosen.byVersion) {
        const versions = await Promise.all((entry?.versions || []).map(async (v) => {
          const { statistics } = await execute('area-statistics', { ...base, version: v.version }, { onProgress: progress });
          return { version: v.version, label: `v${v.version}${v.valid_date ? ` ${v.valid_date.slice(0, 4)}` : ''}`, rows: rowsOf(statistics) };
        }));
        const names = new Map(versions.flatMap((v) => v.rows.map((r) => [r.key, r.name])));
        const keys = [...names.keys()].sort();
        redraw = () => {
          const u = AREA_UNITS.find((x) => x.id === unit.value);
          const chart = h('div', { class: 'chart' });
          clear(output, chart, h('div', { class: 'results-wrap stats-wrap' }, versionTable(versions, keys, names, u)));
          drawChart(chart, keys.map((k) => label({ key: k, name: names.get(k) })),
            versions.map((v) => ({ name: v.label, data: keys.map((k) => Number((v.rows.find((r) => r.key === k)?.[u.key] || 0).toFixed(u.digits))) })), u);
        };
      } else {
        const { statistics } = await execute('area-statistics', base, { onProgress: progress });
        const rows = chosen.township ? await townships(rowsOf(statistics)) : rowsOf(statistics);
        const color = colorOf(chosen);
        redraw = () => {
          const u = AREA_UNITS.find((x) => x.id === unit.value);
          const chart = h('div', { class: 'chart' });
          clear(output, chart, h('div', { class: 'results-wrap stats-wrap' },
            unitTable(rows, { count: statistics.total.count, ...statistics.total })));
          drawChart(chart, rows.map(label), [{ name: u.label,
            data: rows.map((r) => ({ value: Number(r[u.key].toFixed(u.digits)), itemStyle: { color: color(r.key) } })) }], u);
        };
      }
      redraw();
      const ms = Math.round(performance.now() - started);
      status.textContent = `统计完成(${ms} 毫秒;服务端按三调椭球面积计算)${area ? '· 范围:已限定' : '· 范围:全图层'}`;
      status.dataset.done = String(ms);
    } catch (error) {
      status.textContent = `统计失败:${error.message}`;
    }
  };
  unit.addEventListener('change', () => redraw());
  return h('div', { class: 'area-statistics' },
    h('div', { class: 'bar' }, h('h3', {}, '分组统计'), grouping, unit,
      h('button', { type: 'button', class: 'primary', id: 'stat-run', onclick: run }, '统计')),
    status, output);
}

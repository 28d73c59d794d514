// 分类统计: area (公顷, 亩) and count of the queried features grouped by a field — 地类一级类/二级类,
// 坐落单位, or any code field — drawn as an ECharts bar chart with a table of the numbers.
import { h } from './dom.js';
import { fieldName } from './identify.js';
import { landuseColor, standards } from './styles.js';

// ECharts is loaded on first use: the map's first paint does not wait for the chart library.
let echartsLoaded = null;
export function loadEcharts() {
  echartsLoaded ??= import('./charts.js').then((m) => m.echarts);
  return echartsLoaded;
}

const SQUARE_METRES_PER_MU = 10000 / 15;
/** 一级类 of a DLBM code by the 三调工作分类 tree (湿地 00 gathers codes from several classes). */
export function level1Of(code) {
  const text = String(code || '');
  return standards.landuseLevel1Of[text] || text.slice(0, 2);
}

const LEVEL1 = Object.fromEntries(standards.landuseLevel1.map(({ code, name }) => [code, name]));

/** The groupings a layer offers: [{id, label, key(properties), name(key)}]. */
export function groupings(layer, schema) {
  const out = [];
  if (schema.DLBM) {
    const color = (k) => `rgb(${landuseColor(k).join(',')})`;
    out.push({ id: 'DLBM1', label: '地类一级类', key: (p) => level1Of(p.DLBM), name: (k) => LEVEL1[k] || k, color });
    out.push({ id: 'DLBM', label: '地类二级类', key: (p) => p.DLBM, name: (k) => schema.DLBM.codes[k] || k, color });
  }
  for (const [field, spec] of Object.entries(schema)) {
    if (field !== 'DLBM' && Object.keys(spec.codes || {}).length) {
      out.push({ id: field, label: fieldName(layer, field, schema), key: (p) => p[field], name: (k) => spec.codes[k] || k });
    }
  }
  for (const field of ['ZLDWMC', 'QSDWMC', 'XZQMC']) {
    if (schema[field]) out.push({ id: field, label: fieldName(layer, field, schema), key: (p) => p[field], name: (k) => k });
  }
  return out;
}

/** The area field: 三调 图斑面积 (ellipsoidal, m²) when the layer has it. */
export function areaField(schema) {
  return ['TBMJ', '椭球面积', 'MJ'].find((f) => schema[f]) || null;
}

export function groupStats(features, grouping, area) {
  const groups = new Map();
  for (const { properties } of features) {
    const key = grouping.key(properties) ?? '';
    const row = groups.get(key) || { key, name: grouping.name(key) || '(空)', count: 0, area: 0 };
    row.count += 1;
    row.area += area ? Number(properties[area]) || 0 : 0;
    groups.set(key, row);
  }
  return [...groups.values()].sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

const fmt = (value) => value.toLocaleString('zh-CN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function statsView(rows, area, colorOf) {
  const chartBox = h('div', { class: 'chart', style: `height:${Math.min(40 + rows.length * 22, 1200)}px` });
  const table = h('table', { class: 'results stats' },
    h('thead', {}, h('tr', {}, h('th', {}, '分类'), h('th', {}, '图斑数'), area ? [h('th', {}, '面积(公顷)'), h('th', {}, '面积(亩)')] : [])),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-key': r.key }, h('td', {}, r.key === r.name ? r.name : `${r.key} ${r.name}`),
      h('td', { class: 'num' }, r.count),
      area ? [h('td', { class: 'num' }, fmt(r.area / 10000)), h('td', { class: 'num' }, fmt(r.area / SQUARE_METRES_PER_MU))] : []))));
  const view = h('div', { class: 'stats-view' }, chartBox, table);
  view.draw = async () => {
    const echarts = await loadEcharts();
    const chart = echarts.getInstanceByDom(chartBox) || echarts.init(chartBox);
    chart.setOption({
      grid: { left: 8, right: 36, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
      yAxis: { type: 'category', inverse: true, data: rows.map((r) => r.name), axisLabel: { fontSize: 11, interval: 0 } },
      xAxis: { type: 'value', name: area ? '公顷' : '个', nameTextStyle: { fontSize: 11 }, axisLabel: { fontSize: 10 } },
      series: [{ type: 'bar', barMaxWidth: 16,
        data: rows.map((r) => ({ value: area ? Number((r.area / 10000).toFixed(2)) : r.count,
          itemStyle: { color: colorOf?.(r.key) || '#1f5fa8', borderColor: '#666', borderWidth: colorOf ? 0.5 : 0 } })) }],
      animation: false,
    }, true);
  };
  return view;
}

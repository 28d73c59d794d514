// 指标监测 on the 监测预警 page: for one region, each indicator the warning rules watch — a gauge of its latest
// value against its 规划目标 (or the rule's limit) and its values over the years with the target as a line.
import { api, query } from '../api.js';
import { clear, h } from '../dom.js';

let echartsLoaded = null;
const charts = () => (echartsLoaded ??= import('../charts.js').then((m) => m.echarts));
const fmt = (v) => (v === null || v === undefined ? '—' : Number(v).toLocaleString('zh-CN', { maximumFractionDigits: 4 }));

function gaugeOption(item) {
  const max = Math.max(item.target || 0, item.value || 0) * 1.25 || 1;
  const mark = item.target ? item.target / max : 1;
  return {
    animation: false,
    series: [{ type: 'gauge', min: 0, max: Number(max.toPrecision(3)), radius: '95%', startAngle: 200, endAngle: -20,
      axisLine: { lineStyle: { width: 10, color: [[mark, '#5470c6'], [1, '#ee6666']] } },
      pointer: { width: 4 }, splitNumber: 4, axisLabel: { fontSize: 9, distance: 14 }, axisTick: { show: false },
      splitLine: { length: 8 }, title: { show: false },
      detail: { fontSize: 13, offsetCenter: [0, '60%'], formatter: () => `${fmt(item.value)} ${item.unit}` },
      data: [{ value: item.value ?? 0 }] }],
  };
}

function trendOption(item) {
  const years = Object.keys(item.series).map(Number).sort((a, b) => a - b);
  return {
    animation: false, tooltip: { trigger: 'axis' }, grid: { left: 48, right: 12, top: 16, bottom: 24 },
    xAxis: { type: 'category', data: years.map(String) },
    yAxis: { type: 'value', scale: true, name: item.unit, nameTextStyle: { fontSize: 10 } },
    series: [{ type: 'line', data: years.map((y) => item.series[y]), symbolSize: 6,
      markLine: item.target === null || item.target === undefined ? undefined : {
        symbol: 'none', label: { formatter: `${item.target_kind} ${fmt(item.target)}`, fontSize: 10 },
        lineStyle: { color: '#ee6666', type: 'dashed' }, data: [{ yAxis: item.target }] } }],
  };
}

function card(item) {
  const gauge = h('div', { class: 'board-gauge' });
  const trend = h('div', { class: 'board-trend' });
  const target = item.target === null || item.target === undefined ? '未设规划目标'
    : `${item.target_kind} ${fmt(item.target)} ${item.unit}${item.target_year ? `(${item.target_year} 年)` : ''}`;
  const element = h('div', { class: 'board-card', 'data-code': item.code, 'data-value': item.value ?? '' },
    h('h5', {}, `${item.name}(${item.code})`),
    h('p', { class: 'muted' }, item.value === null ? '尚无指标值' : `${item.period} 年 ${fmt(item.value)} ${item.unit};${target}`),
    h('div', { class: 'board-charts' }, gauge, trend),
    h('p', { class: 'muted board-rules' }, `规则:${item.rules.map((r) => r.title).join('、')}`));
  element.draw = (echarts) => {
    if (item.value === null) return;
    (echarts.getInstanceByDom(gauge) || echarts.init(gauge)).setOption(gaugeOption(item));
    (echarts.getInstanceByDom(trend) || echarts.init(trend)).setOption(trendOption(item));
  };
  return element;
}

export function indicatorBoard() {
  const regions = h('select', { id: 'board-region' });
  const cards = h('div', { id: 'board-cards', class: 'board-cards' });
  const element = h('details', { id: 'mon-board', class: 'mon-board', open: '' },
    h('summary', {}, '指标监测(所监测指标的历年值与规划目标)'), h('div', { class: 'filters' }, '行政区 ', regions), cards);
  element.refresh = async (wanted) => {
    try {
      const answer = await api(`/api/warnings/indicators${query({ region: wanted || regions.value || undefined })}`);
      clear(regions, ...answer.regions.map((r) => h('option', { value: r, selected: r === answer.region ? '' : undefined }, r)));
      if (!answer.region) {
        clear(cards, h('p', { class: 'muted' }, '尚无指标值或规划目标:在“指标管理”中计算指标、设定规划目标后,巡检即按规则预警。'));
        return;
      }
      const made = answer.indicators.map(card);
      clear(cards, ...made);
      const echarts = await charts();
      for (const c of made) c.draw(echarts);
    } catch (error) {
      clear(cards, h('p', { class: 'error' }, error.message));
    }
  };
  regions.addEventListener('change', () => element.refresh(regions.value));
  return element;
}

// 查询统计: pick a layer, build attribute conditions (optionally within the current view), list the
// results, group them into statistics with a chart, export CSV. Kept across tab switches.
import { clear, h } from './dom.js';
import { queryables } from './identify.js';
import { conditionRow, toCql } from './filter.js';
import { exportCsv, fetchAll, resultsTable } from './results.js';
import { areaField, groupStats, groupings, statsView } from './stats.js';
import { drawTool } from './draw.js';

function queryPanel({ map, highlight, entries }) {
  const layer = h('select', { name: 'layer', id: 'query-layer' });
  const conditions = h('div', { class: 'conditions' });
  const inView = h('input', { type: 'checkbox', name: 'in-view' });
  const status = h('p', { class: 'muted', id: 'query-status' });
  const drawing = drawTool(map);
  const drawState = h('span', { class: 'muted', id: 'draw-state' }, '未限定');
  const drawButton = (kind, label) => h('button', { type: 'button', 'data-draw': kind, onclick: () => {
    drawState.textContent = '在地图上绘制…(双击或点击起点结束)';
    drawing.start(kind, () => { drawState.textContent = kind === 'box' ? '已绘制矩形' : '已绘制多边形'; });
  } }, label);
  const output = h('div', { id: 'query-output' });
  let schema = {};

  const loadLayer = async () => {
    clear(conditions);
    clear(output);
    schema = await queryables(layer.value);
    status.textContent = Object.keys(schema).length ? '' : '无权查询该图层的属性';
    if (Object.keys(schema).length) conditions.append(conditionRow(layer.value, schema));
  };
  layer.addEventListener('change', loadLayer);

  const run = async (event) => {
    event.preventDefault();
    const name = layer.value;
    const rows = [...conditions.querySelectorAll('.condition')].map((row) => row.read());
    const shape = drawing.wkt();
    const filter = [toCql(rows, schema), shape ? `S_INTERSECTS(geometry,${shape})` : ''].filter(Boolean).join(' AND ');
    const bbox = inView.checked ? map.getView().calculateExtent(map.getSize()).map((v) => v.toFixed(7)).join(',') : undefined;
    status.textContent = '查询中…';
    clear(output);
    try {
      const { features, truncated } = await fetchAll(name, { filter, bbox });
      const shown = filter.length > 120 ? `${filter.slice(0, 120)}…` : filter;
      status.textContent = `共 ${features.length} 条${truncated ? '(已截断)' : ''}${shown ? `:${shown}` : ''}`;
      status.dataset.count = String(features.length);
      status.dataset.filter = filter;
      showResults(name, features);
    } catch (error) {
      status.textContent = `查询失败:${error.message}`;
    }
  };

  const showResults = (name, features) => {
    if (!features.length) return;
    const options = groupings(name, schema);
    const area = areaField(schema);
    const grouping = h('select', { name: 'group', id: 'stats-group' }, options.map((g) => h('option', { value: g.id }, g.label)));
    const statsBox = h('div', { id: 'stats' });
    const drawStats = () => {
      const chosen = options.find((g) => g.id === grouping.value);
      if (!chosen) return;
      const view = statsView(groupStats(features, chosen, area), area, chosen.color);
      clear(statsBox, view);
      view.draw();
    };
    grouping.addEventListener('change', drawStats);
    clear(output,
      h('div', { class: 'bar' }, h('h3', {}, '查询结果'),
        h('button', { type: 'button', id: 'export-csv', onclick: () => exportCsv(name, features, schema) }, '导出 CSV')),
      resultsTable(name, features, schema, { map, highlight }),
      options.length ? h('div', { class: 'bar' }, h('h3', {}, '分类统计'), grouping) : null,
      statsBox);
    drawStats();
  };

  const form = h('form', { class: 'query', onsubmit: run },
    h('label', { class: 'line' }, '图层', layer),
    h('div', { class: 'line' }, h('span', {}, '条件(同时满足)'),
      h('button', { type: 'button', onclick: () => conditions.append(conditionRow(layer.value, schema)) }, '+ 添加条件')),
    conditions,
    h('div', { class: 'line' }, h('span', {}, '空间范围'), drawButton('box', '矩形'), drawButton('polygon', '多边形'),
      h('button', { type: 'button', onclick: () => { drawing.clear(); drawState.textContent = '未限定'; } }, '清除')),
    drawState,
    h('label', { class: 'line check' }, inView, '仅查询当前视图范围'),
    h('div', { class: 'line' }, h('button', { type: 'submit', class: 'primary', id: 'query-run' }, '查询')),
    status);
  const element = h('div', { id: 'query-panel' }, form, output);
  element.refresh = () => {
    const names = entries().map((e) => [e.name, e.title || e.name]);
    if (names.map(([n]) => n).join() === [...layer.options].map((o) => o.value).join()) return;
    clear(layer, names.map(([value, title]) => h('option', { value }, `${title}(${value})`)));
    if (names.some(([n]) => n === 'DLTB')) layer.value = 'DLTB';
    loadLayer();
  };
  return element;
}

export function installQuery({ map, highlight, panel, tabs, entries }) {
  const element = queryPanel({ map, highlight, entries });
  const select = (name) => {
    for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b.dataset.tab === name);
    if (name === 'query') {
      element.refresh();
      panel.show('查询统计', element);
    } else {
      panel.hide();
    }
  };
  tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]');
    if (tab) select(tab.dataset.tab);
  });
  return { select };
}

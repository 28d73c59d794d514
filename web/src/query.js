// 查询统计: pick a layer, build attribute conditions and a spatial range (drawn point/line with buffer,
// rectangle, polygon, or 行政区), list the results (数查图: row → zoom; 图查数: pick on the map → rows),
// export CSV/Excel from the server, and group areas by the area-statistics process. Kept across tabs.
import { clear, h } from './dom.js';
import { queryables } from './identify.js';
import { conditionRow, toCql } from './filter.js';
import { exportUrl, fetchAll, resultsTable } from './results.js';
import { spatialFilter } from './spatial.js';
import { mapSelection } from './select.js';
import { areaStatistics } from './areastats.js';
import { apiBbox, apiCrsParams } from './viewcrs.js';

function download(href) {
  const link = h('a', { href, download: '' });
  document.body.append(link);
  link.click();
  link.remove();
}

function queryPanel({ map, highlight, entries }) {
  const layer = h('select', { name: 'layer', id: 'query-layer' });
  const conditions = h('div', { class: 'conditions' });
  const inView = h('input', { type: 'checkbox', name: 'in-view' });
  const status = h('p', { class: 'muted', id: 'query-status' });
  const spatial = spatialFilter(map);
  const output = h('div', { id: 'query-output' });
  const statsBox = h('div', { id: 'stats-box' });
  let schema = {};

  const entryOf = (name) => entries().find((e) => e.name === name);
  const showStatistics = () => clear(statsBox, areaStatistics({ layer: layer.value, entry: entryOf(layer.value), schema,
    region: () => spatial.region(entryOf(layer.value)?.epsg) }));

  const loadLayer = async () => {
    clear(conditions);
    clear(output);
    clear(statsBox);
    schema = await queryables(layer.value);
    status.textContent = Object.keys(schema).length ? '' : '无权查询该图层的属性';
    if (Object.keys(schema).length) {
      conditions.append(conditionRow(layer.value, schema));
      showStatistics();
    }
  };
  layer.addEventListener('change', loadLayer);

  const run = async (event) => {
    event.preventDefault();
    const name = layer.value;
    const rows = [...conditions.querySelectorAll('.condition')].map((row) => row.read());
    status.textContent = '查询中…';
    delete status.dataset.count;
    clear(output);
    try {
      const filter = [toCql(rows, schema), await spatial.cql(schema)].filter(Boolean).join(' AND ');
      const bbox = inView.checked ? apiBbox(map.getView().calculateExtent(map.getSize())) : undefined;
      const params = { filter, bbox, ...apiCrsParams({ filter: Boolean(filter), bbox: Boolean(bbox) }) };
      const { features, truncated } = await fetchAll(name, params);
      const shown = filter.length > 120 ? `${filter.slice(0, 120)}…` : filter;
      status.textContent = `共 ${features.length} 条${truncated ? '(已截断)' : ''}${shown ? `:${shown}` : ''}`;
      status.dataset.count = String(features.length);
      status.dataset.filter = filter;
      showResults(name, features, params);
    } catch (error) {
      status.textContent = `查询失败:${error.message}`;
    }
  };

  const showResults = (name, features, params) => {
    if (!features.length) return;
    const tableBox = h('div', {}, resultsTable(name, features, schema, { map, highlight }));
    const selection = mapSelection(map, features, (picked) => clear(tableBox, resultsTable(name, picked || features, schema, { map, highlight })));
    clear(output,
      h('div', { class: 'bar' }, h('h3', {}, '查询结果'),
        h('span', {},
          h('button', { type: 'button', id: 'export-csv', onclick: () => download(exportUrl(name, { ...params, f: 'csv' })) }, '导出 CSV'),
          ' ',
          h('button', { type: 'button', id: 'export-xlsx', onclick: () => download(exportUrl(name, { ...params, f: 'xlsx' })) }, '导出 Excel'))),
      selection, tableBox);
  };

  const form = h('form', { class: 'query', onsubmit: run },
    h('label', { class: 'line' }, '图层', layer),
    h('div', { class: 'line' }, h('span', {}, '条件(同时满足)'),
      h('button', { type: 'button', onclick: () => conditions.append(conditionRow(layer.value, schema)) }, '+ 添加条件')),
    conditions,
    spatial,
    h('label', { class: 'line check' }, inView, '仅查询当前视图范围'),
    h('div', { class: 'line' }, h('button', { type: 'submit', class: 'primary', id: 'query-run' }, '查询')),
    status);
  const element = h('div', { id: 'query-panel' }, form, output, statsBox);
  element.refresh = () => {
    spatial.load();
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
    } else if (name === 'browse') {
      panel.hide();
    }
  };
  tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]');
    if (tab) select(tab.dataset.tab);
  });
  return { select };
}

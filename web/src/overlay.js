// 叠加分析: the `overlay-matrix` process (e.g. 规划用地用海 × 三调现状) for a chosen region, shown as an area
// matrix in 平方米 / 公顷 / 亩 with a stacked bar chart, and the process's own Excel workbook to download.
import { clear, h } from './dom.js';
import { fieldName, queryables } from './identify.js';
import { AREA_UNITS, execute, formatArea } from './processes.js';
import { landuseColor } from './styles.js';
import { loadEcharts } from './stats.js';
import { unitSelect } from './units.js';

const MAX_SERIES = 24; // columns beyond this are summed as 其他 in the chart (the table keeps them all)

async function codeFields(layer) {
  const schema = await queryables(layer);
  return Object.entries(schema).filter(([, spec]) => Object.keys(spec.codes || {}).length)
    .map(([field]) => [field, fieldName(layer, field, schema)]);
}

function layerPicker(id, entries, preferred) {
  const layer = h('select', { name: `${id}-layer`, id: `${id}-layer` });
  const field = h('select', { name: `${id}-field`, id: `${id}-field` });
  const loadFields = async () => {
    const fields = await codeFields(layer.value);
    clear(field, fields.map(([f, title]) => h('option', { value: f }, `${title}(${f})`)));
    const wanted = fields.find(([f]) => ['YDYHFLDM', 'DLBM'].includes(f));
    if (wanted) field.value = wanted[0];
  };
  layer.addEventListener('change', loadFields);
  const refresh = () => {
    const names = entries().map((e) => e.name);
    if (names.join() === [...layer.options].map((o) => o.value).join()) return;
    clear(layer, entries().map((e) => h('option', { value: e.name }, `${e.title || e.name}(${e.name})`)));
    const pick = preferred.find((n) => names.includes(n));
    if (pick) layer.value = pick;
    loadFields();
  };
  return { layer, field, refresh };
}

function matrixTable(matrix, unit) {
  const cell = new Map(matrix.cells.map((c) => [`${c.a}|${c.b}`, c]));
  const num = (value) => h('td', { class: 'num' }, formatArea(value, unit.digits));
  return h('table', { class: 'results stats matrix' },
    h('thead', {}, h('tr', {}, h('th', {}, `A \\ B(${unit.label})`),
      matrix.columns.map((c) => h('th', { 'data-b': c.code, title: c.name }, `${c.code} ${c.name}`)), h('th', {}, '合计'))),
    h('tbody', {}, matrix.rows.map((r) => h('tr', { 'data-a': r.code }, h('th', { title: r.name }, `${r.code} ${r.name}`),
      matrix.columns.map((c) => num(cell.get(`${r.code}|${c.code}`)?.[unit.key] || 0)), num(r[unit.key])))),
    h('tfoot', {}, h('tr', { 'data-a': '合计' }, h('th', {}, '合计'), matrix.columns.map((c) => num(c[unit.key])), num(matrix.total[unit.key]))));
}

async function drawChart(box, matrix, unit, bField) {
  const echarts = await loadEcharts();
  const columns = [...matrix.columns].sort((x, y) => y.area_m2 - x.area_m2);
  const shown = columns.slice(0, MAX_SERIES);
  const rest = new Set(columns.slice(MAX_SERIES).map((c) => c.code));
  const value = (a, b) => matrix.cells.find((c) => c.a === a && c.b === b)?.[unit.key] || 0;
  const series = shown.map((c) => ({ type: 'bar', stack: 'area', name: `${c.code} ${c.name}`, barMaxWidth: 18,
    itemStyle: bField === 'DLBM' ? { color: `rgb(${landuseColor(c.code).join(',')})` } : undefined,
    data: matrix.rows.map((r) => Number(value(r.code, c.code).toFixed(unit.digits))) }));
  if (rest.size) {
    series.push({ type: 'bar', stack: 'area', name: '其他', barMaxWidth: 18, data: matrix.rows.map((r) => Number(matrix.cells
      .filter((c) => c.a === r.code && rest.has(c.b)).reduce((sum, c) => sum + c[unit.key], 0).toFixed(unit.digits))) });
  }
  box.style.height = `${Math.min(80 + matrix.rows.length * 24, 1400)}px`;
  const chart = echarts.getInstanceByDom(box) || echarts.init(box);
  chart.resize();
  chart.setOption({
    grid: { left: 8, right: 40, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: 'item' },
    yAxis: { type: 'category', inverse: true, data: matrix.rows.map((r) => `${r.code} ${r.name}`), axisLabel: { fontSize: 11, interval: 0 } },
    xAxis: { type: 'value', name: unit.label, nameTextStyle: { fontSize: 11 }, axisLabel: { fontSize: 10 } },
    series,
    animation: false,
  }, true);
}

export function overlayView({ entries }) {
  const a = layerPicker('overlay-a', entries, ['GHYDYH', 'DLTB']);
  const b = layerPicker('overlay-b', entries, ['DLTB']);
  const region = unitSelect('overlay-region', '全部范围');
  const unit = h('select', { name: 'overlay-unit', id: 'overlay-unit' }, AREA_UNITS.map((u) => h('option', { value: u.id }, u.label)));
  unit.value = 'ha';
  const status = h('p', { class: 'muted', id: 'overlay-status' });
  const output = h('div', { id: 'overlay-output' });
  let result = null;

  const render = () => {
    if (!result) return;
    const u = AREA_UNITS.find((x) => x.id === unit.value);
    const chart = h('div', { class: 'chart' });
    const { method, note } = result.matrix;
    clear(output,
      h('p', { class: 'muted', id: 'overlay-method' }, `计算方法:${method}`),
      note ? h('p', { class: 'notice', id: 'overlay-note' }, note) : null,
      h('div', { class: 'bar' }, h('h3', {}, '面积矩阵'),
        h('a', { href: result.xlsx.href, download: '', id: 'overlay-xlsx', class: 'button' }, '导出 Excel')),
      h('div', { class: 'results-wrap matrix-wrap' }, matrixTable(result.matrix.matrix, u)), chart);
    drawChart(chart, result.matrix.matrix, u, result.matrix.b.field);
  };

  const run = async () => {
    status.textContent = '分析中…';
    delete status.dataset.done;
    clear(output);
    result = null;
    const inputs = { a_layer: a.layer.value, a_field: a.field.value, b_layer: b.layer.value, b_field: b.field.value,
      ...(region.value ? { region: region.value } : {}) };
    try {
      result = await execute('overlay-matrix', inputs, { onProgress: (p) => { status.textContent = `分析中… ${p}%`; } });
      const total = result.matrix.matrix.total;
      status.textContent = `叠加面积合计 ${formatArea(total.area_ha, 4)} 公顷(${formatArea(total.area_mu, 4)} 亩)`;
      status.dataset.done = '1';
      render();
    } catch (error) {
      status.textContent = `分析失败:${error.message}`;
    }
  };
  unit.addEventListener('change', render);

  const element = h('div', { id: 'overlay-panel', class: 'query' },
    h('div', { class: 'bar' }, h('h3', {}, '叠加分析(面积矩阵)')),
    h('label', { class: 'line' }, '图层 A(行)', a.layer), h('label', { class: 'line' }, '分类字段', a.field),
    h('label', { class: 'line' }, '图层 B(列)', b.layer), h('label', { class: 'line' }, '分类字段', b.field),
    h('label', { class: 'line' }, '分析范围', region),
    h('div', { class: 'line' }, h('span', {}, '单位'), unit,
      h('button', { type: 'button', class: 'primary', id: 'overlay-run', onclick: run }, '开始分析')),
    status, output);
  element.refresh = () => {
    region.load();
    a.refresh();
    b.refresh();
  };
  return element;
}

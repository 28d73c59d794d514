// 空间范围 of a query: a drawn point or line (with a buffer in metres), a rectangle, a polygon, or an
// administrative unit picked from the county → township → village list. Gives the CQL2 condition for the
// items endpoint and the `region` input of the statistics process (行政区划代码 or a polygon in the layer CRS).
import GeoJSON from 'ol/format/GeoJSON.js';
import { h } from './dom.js';
import { drawTool } from './draw.js';
import { standards } from './styles.js';
import { unitOf, unitSelect } from './units.js';
import { GEOGRAPHIC } from './projections.js';
import { apiWkt, viewCode } from './viewcrs.js';

const LABELS = { point: '已绘制点', line: '已绘制线', box: '已绘制矩形', polygon: '已绘制多边形' };

/** The layer's 行政区划 field (standards table region_fields, in order of preference), or undefined. */
export function regionField(schema) {
  return (standards.regionFields || []).find((f) => schema[f]);
}

export function spatialFilter(map) {
  const drawing = drawTool(map);
  const state = h('span', { class: 'muted', id: 'draw-state' }, '未限定');
  const buffer = h('input', { type: 'number', name: 'buffer', min: 0, max: 100000, step: 1, value: 0, class: 'short', title: '缓冲距离(米)' });
  let unit = '';
  const units = unitSelect('region', '按行政区…', (code) => {
    unit = code;
    if (code) drawing.clear();
    state.textContent = code ? `行政区 ${units.selectedOptions[0].textContent.trim()}` : '未限定';
  });
  const drawButton = (kind, label) => h('button', { type: 'button', 'data-draw': kind, onclick: () => {
    unit = '';
    units.value = '';
    state.textContent = kind === 'polygon' ? '在地图上绘制…(点击起点结束)' : '在地图上绘制…(双击结束)';
    drawing.start(kind, () => { state.textContent = LABELS[kind]; });
  } }, label);
  const clearAll = () => {
    drawing.clear();
    unit = '';
    units.value = '';
    state.textContent = '未限定';
  };
  const distance = () => Math.max(0, Number(buffer.value) || 0);

  const element = h('div', { class: 'spatial' },
    h('div', { class: 'line' }, h('span', {}, '空间范围'), drawButton('point', '点'), drawButton('line', '线'),
      drawButton('box', '矩形'), drawButton('polygon', '多边形'), h('button', { type: 'button', onclick: clearAll }, '清除')),
    h('div', { class: 'line' }, units, h('label', { class: 'buffer' }, '缓冲', buffer, '米')),
    state);

  /** CQL2 text of the range for a layer with queryables `schema` ('' when unlimited), geometries in the
   * view CRS's API form (the caller adds viewcrs.apiCrsParams). */
  element.cql = async (schema) => {
    const wkt = drawing.wkt();
    if (wkt) {
      const d = distance();
      return d > 0 ? `S_DWITHIN(geometry,${wkt},${d},meters)` : `S_INTERSECTS(geometry,${wkt})`;
    }
    if (!unit) return '';
    const field = regionField(schema);
    if (field) return `${field} LIKE '${unit}%'`;
    const found = await unitOf(unit);
    if (!found?.feature) return '';
    return `S_INTERSECTS(geometry,${wktOf(found.feature)})`;
  };

  /**
   * The statistics process's `region`: the unit's code, or the drawn area as GeoJSON in the layer CRS;
   * undefined when unlimited; null when the range cannot be a region (a point or line: use the query).
   */
  element.region = (epsg) => {
    if (unit) return unit;
    const geometry = drawing.geometry();
    if (!geometry) return undefined;
    const kind = drawing.kind();
    if (kind !== 'box' && kind !== 'polygon') return null;
    const target = `EPSG:${epsg || 4490}`;
    const inLayer = target === 'EPSG:4490' ? geometry.clone() : geometry.clone().transform('EPSG:4490', target);
    return new GeoJSON().writeGeometryObject(inLayer, { decimals: 3 });
  };
  element.describe = () => state.textContent;
  element.load = () => units.load();
  element.unit = () => unit;
  return element;
}

function wktOf(feature) {
  // Admin outlines can hold thousands of vertices; the filter limit (8,000 characters) wants them thinned.
  const geometry = new GeoJSON().readGeometry(feature.geometry).simplify(0.00005);
  return apiWkt(geometry.transform(GEOGRAPHIC, viewCode()), viewCode() === GEOGRAPHIC ? 6 : 2);
}

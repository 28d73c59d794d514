// 图查数: pick result features on the map — click a parcel (点选) or draw a box (框选) — and the result
// table shows just those; 全部 shows every result again. Works on the features the query returned (lon/lat:
// the picks are turned into lon/lat, whatever the view CRS).
import Draw, { createBox } from 'ol/interaction/Draw.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorSource from 'ol/source/Vector.js';
import { h } from './dom.js';
import { extentToLonLat, toLonLat } from './viewcrs.js';

export function mapSelection(map, features, onSelect) {
  const format = new GeoJSON();
  const shapes = features.filter((f) => f.geometry).map((f) => ({ feature: f, geometry: format.readGeometry(f.geometry) }));
  let active = null;
  const status = h('span', { class: 'muted', id: 'select-state' });
  const stop = () => {
    if (active) active();
    active = null;
    map.set('drawing', false);
  };
  const choose = (picked, how) => {
    stop();
    status.textContent = `${how}选中 ${picked.length} 条`;
    status.dataset.count = String(picked.length);
    onSelect(picked);
  };
  const byPoint = () => {
    stop();
    status.textContent = '在地图上点击图斑…';
    map.set('drawing', true);
    const listener = (event) => choose(shapes.filter((s) => s.geometry.intersectsCoordinate(toLonLat(event.coordinate))).map((s) => s.feature), '点选');
    map.once('singleclick', listener);
    active = () => map.un('singleclick', listener);
  };
  const byBox = () => {
    stop();
    status.textContent = '在地图上点击两角画框…';
    map.set('drawing', true);
    const draw = new Draw({ source: new VectorSource(), type: 'Circle', geometryFunction: createBox(), stopClick: true });
    draw.on('drawend', (event) => {
      const extent = extentToLonLat(event.feature.getGeometry().getExtent());
      setTimeout(() => choose(shapes.filter((s) => s.geometry.intersectsExtent(extent)).map((s) => s.feature), '框选'), 0);
    });
    map.addInteraction(draw);
    active = () => map.removeInteraction(draw);
  };
  const all = () => {
    stop();
    status.textContent = '';
    delete status.dataset.count;
    onSelect(null);
  };
  return h('div', { class: 'line select-tools' }, h('span', {}, '图查数'),
    h('button', { type: 'button', id: 'select-point', onclick: byPoint }, '点选'),
    h('button', { type: 'button', id: 'select-box', onclick: byBox }, '框选'),
    h('button', { type: 'button', id: 'select-all', onclick: all }, '全部'), status);
}

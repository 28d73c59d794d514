// 坐标定位: EPSG:4490 (经度, 纬度) or a Gauss–Krüger zone (X 北, Y 东, as 测绘 writes them).
import Feature from 'ol/Feature.js';
import Point from 'ol/geom/Point.js';
import { h } from './dom.js';
import { GK_ZONES, toGeographic } from './projections.js';
import { viewZoom } from './tiles.js';
import { fromLonLat, onViewCrsChange } from './viewcrs.js';

export function locateTool({ map, highlight }) {
  const crs = h('select', { name: 'crs' }, h('option', { value: 'EPSG:4490' }, 'EPSG:4490 经纬度'),
    GK_ZONES.map((z) => h('option', { value: z.code }, `${z.code} ${z.label}`)));
  const first = h('input', { name: 'a', inputmode: 'decimal', placeholder: '经度' });
  const second = h('input', { name: 'b', inputmode: 'decimal', placeholder: '纬度' });
  const message = h('span', { class: 'error' });
  const placeholders = () => {
    const geographic = crs.value === 'EPSG:4490';
    first.placeholder = geographic ? '经度' : 'X(北,米)';
    second.placeholder = geographic ? '纬度' : 'Y(东,米)';
  };
  crs.addEventListener('change', placeholders);
  onViewCrsChange((next) => { // coordinates are usually typed in the CRS the map shows
    crs.value = next.code;
    placeholders();
  });
  const form = h('form', { class: 'locate', hidden: true, onsubmit: (event) => {
    event.preventDefault();
    const a = Number(first.value);
    const b = Number(second.value);
    message.textContent = '';
    if (!first.value || !second.value || Number.isNaN(a) || Number.isNaN(b)) {
      message.textContent = '请输入数字坐标';
      return;
    }
    const [lon, lat] = crs.value === 'EPSG:4490' ? [a, b] : toGeographic(crs.value, b, a);
    if (!(Math.abs(lon) <= 180 && Math.abs(lat) <= 90)) {
      message.textContent = '坐标超出范围';
      return;
    }
    highlight.clear();
    const center = fromLonLat([lon, lat]);
    highlight.addFeature(new Feature(new Point(center)));
    map.getView().animate({ center, zoom: Math.max(map.getView().getZoom(), viewZoom(17)), duration: 300 });
  } }, crs, first, second, h('button', { type: 'submit', class: 'primary' }, '定位'), message);
  const toggle = h('button', { type: 'button', id: 'locate-button', onclick: () => { form.hidden = !form.hidden; } }, '坐标定位');
  return h('div', { class: 'tool' }, toggle, form);
}

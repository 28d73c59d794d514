// 天地图 base map (optional): only when the server is configured with a 天地图 key (/api/webapp/config);
// otherwise the app never requests anything outside its own origin. The 天地图 'c' grid is our
// CGCS2000Quad grid (EPSG:4490, same levels), so its WMTS tiles line up with our vector tiles.
import TileLayer from 'ol/layer/Tile.js';
import XYZ from 'ol/source/XYZ.js';
import { webappConfig } from './localtime.js';
import { h } from './dom.js';
import { grid } from './tiles.js';

const LAYERS = [['vec', '矢量底图'], ['cva', '矢量注记']];

export async function tiandituConfig() {
  try {
    return (await webappConfig()).tianditu;
  } catch {
    return null;
  }
}

function source(config, layer) {
  const url = `${config.url}/${layer}_c/wmts?SERVICE=WMTS&REQUEST=GetTile&VERSION=1.0.0&LAYER=${layer}&STYLE=default`
    + `&TILEMATRIXSET=c&FORMAT=tiles&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}&tk=${encodeURIComponent(config.key)}`;
  return new XYZ({ url, tileGrid: grid, projection: 'EPSG:4490', crossOrigin: 'anonymous' });
}

/** Add the 天地图 layers under our own base map (removed with it on sign-in/out); a toggle for the tools. */
export function addTianditu(map, config, tools) {
  tools.querySelector('#tianditu-toggle')?.remove();
  if (!config?.key) return;
  const layers = LAYERS.map(([layer, title], i) => new TileLayer({ source: source(config, layer), zIndex: -30 + i,
    properties: { base: true, name: `天地图${title}` } }));
  layers.forEach((layer) => map.addLayer(layer));
  const box = h('input', { type: 'checkbox', checked: true,
    onchange: () => layers.forEach((layer) => layer.setVisible(box.checked)) });
  tools.prepend(h('label', { class: 'tool tianditu', id: 'tianditu-toggle' }, box, '天地图'));
}

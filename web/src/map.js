// The map: an EPSG:4490 view on the 天地图 c grid's resolutions, a base map drawn from our own data,
// a highlight layer, the status bar (coordinates in 4490 and the local GK zone, scale).
import OlMap from 'ol/Map.js';
import View from 'ol/View.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Circle, Fill, Stroke, Style } from 'ol/style.js';
import { ScaleLine, defaults as defaultControls } from 'ol/control.js';
import { RESOLUTIONS, vectorTileSource } from './tiles.js';
import { baseStyle } from './styles.js';
import { fromGeographic, zoneFor } from './projections.js';

// Base-map units already labelled at the current zoom (see baseStyle).
const LABELLED = new Map();
// The base map's own tiles stop at level 13 (≈ 4 m precision), deeper levels overzoom them.
const BASE_MAX_ZOOM = 13;

export function createMap(target, statusbar) {
  const highlight = new VectorLayer({
    source: new VectorSource(), zIndex: 1000,
    style: new Style({
      stroke: new Stroke({ color: '#00e5ff', width: 3 }), fill: new Fill({ color: 'rgba(0,229,255,0.15)' }),
      image: new Circle({ radius: 7, stroke: new Stroke({ color: '#fff', width: 2 }), fill: new Fill({ color: '#e53935' }) }),
    }),
  });
  const map = new OlMap({
    target,
    layers: [highlight],
    controls: defaultControls({ attribution: false }).extend([new ScaleLine({ units: 'metric' })]),
    view: new View({ projection: 'EPSG:4490', center: [117, 30.5], resolutions: RESOLUTIONS, zoom: 10,
      constrainResolution: true }),
  });
  map.on('pointermove', (event) => showStatus(statusbar, map, event.coordinate));
  map.getView().on('change:resolution', () => {
    LABELLED.clear();
    showStatus(statusbar, map, null);
  });
  return { map, highlight: highlight.getSource() };
}

function showStatus(statusbar, map, coordinate) {
  const zoom = map.getView().getZoom();
  const parts = [`级别 ${zoom?.toFixed(0) ?? '-'}`];
  if (coordinate) {
    const [lon, lat] = coordinate;
    parts.push(`经度 ${lon.toFixed(6)}° 纬度 ${lat.toFixed(6)}°`);
    const zone = zoneFor(lon);
    if (zone) {
      const [east, north] = fromGeographic(zone.code, lon, lat);
      parts.push(`${zone.code} X ${north.toFixed(2)} Y ${east.toFixed(2)}`);
    }
  }
  statusbar.textContent = parts.join('  |  ');
}

/** The base map layers, from public layers of our own store (no internet). */
export function addBaseMap(map, visibleNames) {
  const base = [['XZQ', 'XZQMC'], ['CJDCQ', 'ZLDWMC']].filter(([name]) => visibleNames.has(name));
  LABELLED.clear(); // new sources, new fragments
  base.forEach(([name, label], i) => {
    map.addLayer(new VectorTileLayer({ source: vectorTileSource(name, null, BASE_MAX_ZOOM), style: baseStyle(label, LABELLED),
      zIndex: i - 10, properties: { base: true, name }, declutter: true }));
  });
  return base.length > 0;
}

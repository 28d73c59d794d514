// The map: a view in the view CRS (viewcrs.js: EPSG:4490 on the 天地图 c grid's resolutions, or a GK zone
// on its grid's), a base map drawn from our own data, a highlight layer, the status bar (coordinates in
// 4490 and the GK zone, scale) and the 地图投影 switch.
import OlMap from 'ol/Map.js';
import View from 'ol/View.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Circle, Fill, Stroke, Style } from 'ol/style.js';
import { ScaleLine, defaults as defaultControls } from 'ol/control.js';
import { getPointResolution, transform } from 'ol/proj.js';
import { vectorTileSource, viewResolutions } from './tiles.js';
import { baseStyle } from './styles.js';
import { fromGeographic, zoneFor } from './projections.js';
import { fromLonLat, onViewCrsChange, toLonLat, viewCode, viewZone } from './viewcrs.js';

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
    view: new View({ projection: viewCode(), center: fromLonLat([117, 30.5]), resolutions: viewResolutions(), zoom: 10,
      constrainResolution: true }),
  });
  map.on('pointermove', (event) => showStatus(statusbar, map, event.coordinate));
  const watchView = () => map.getView().on('change:resolution', () => {
    LABELLED.clear();
    showStatus(statusbar, map, null);
  });
  watchView();
  map.on('change:view', watchView);
  onViewCrsChange((next, previous) => {
    switchView(map, previous.code);
    resourceBaseMap(map);
    reproject(highlight.getSource(), previous.code);
    showStatus(statusbar, map, null);
  });
  return { map, highlight: highlight.getSource() };
}

/** A new view in the view CRS, same centre and about the same ground resolution as the old one. */
function switchView(map, previousCode) {
  const old = map.getView();
  const metres = getPointResolution(previousCode, old.getResolution(), old.getCenter(), 'm');
  const view = new View({ projection: viewCode(), resolutions: viewResolutions(), constrainResolution: true,
    center: transform(old.getCenter(), previousCode, viewCode()) });
  const perUnit = getPointResolution(viewCode(), 1, view.getCenter(), 'm');
  view.setResolution(view.getConstrainedResolution(metres / perUnit));
  map.setView(view);
  LABELLED.clear();
}

/** Features of a vector source drawn in `previousCode`, moved into the view CRS. */
export function reproject(source, previousCode) {
  for (const feature of source.getFeatures()) feature.getGeometry()?.transform(previousCode, viewCode());
}

function showStatus(statusbar, map, coordinate) {
  const zoom = map.getView().getZoom();
  const zone = viewZone();
  const parts = [`${zone ? `高斯投影 ${zone.code}` : '经纬度 EPSG:4490'}`, `级别 ${zoom?.toFixed(0) ?? '-'}`];
  if (coordinate) {
    const [lon, lat] = toLonLat(coordinate);
    if (zone) {
      const [east, north] = coordinate;
      parts.push(`X ${north.toFixed(2)} m  Y ${east.toFixed(2)} m`);
    }
    parts.push(`经度 ${lon.toFixed(6)}° 纬度 ${lat.toFixed(6)}°`);
    const local = zone ? null : zoneFor(lon);
    if (local) {
      const [east, north] = fromGeographic(local.code, lon, lat);
      parts.push(`${local.code} X ${north.toFixed(2)} Y ${east.toFixed(2)}`);
    }
  }
  statusbar.textContent = parts.join('  |  ');
  statusbar.dataset.crs = zone ? zone.code : 'EPSG:4490';
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

/** Base-map tiles again in the view CRS's tile matrix set (天地图 raster tiles are reprojected by OpenLayers). */
export function resourceBaseMap(map) {
  for (const layer of map.getLayers().getArray()) {
    if (layer.get('base') && layer instanceof VectorTileLayer) layer.setSource(vectorTileSource(layer.get('name'), null, BASE_MAX_ZOOM));
  }
}

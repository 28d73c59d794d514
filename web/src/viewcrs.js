// 地图视图坐标系: the one state every module reads — EPSG:4490 (经纬度, the default) or a CGCS2000
// Gauss–Krüger zone (平面坐标, metres). It fixes the view's projection and resolutions, the tile matrix
// set tiles are requested in, and how map coordinates become API coordinates (filter-crs / bbox-crs).
// The API's default CRS is CRS84 (lon, lat); GK CRSs are (northing X, easting Y) in the API (OGC axis
// order), while OpenLayers keeps (easting, northing): geometries sent in a zone have their axes swapped.
import { transform, transformExtent } from 'ol/proj.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import WKT from 'ol/format/WKT.js';
import { GEOGRAPHIC, gkZone } from './projections.js';

const EPSG_URI = 'http://www.opengis.net/def/crs/EPSG/0/';
const listeners = [];
let current = { code: GEOGRAPHIC, zone: null };

/** The view's CRS code, e.g. 'EPSG:4490' or 'EPSG:4527'. */
export function viewCode() {
  return current.code;
}

/** The GK zone of the view (projections.js entry), or null in the 经纬度 view. */
export function viewZone() {
  return current.zone;
}

/** Switch the view CRS; listeners (map, layers, tools) rebuild what depends on it. */
export function setViewCrs(code) {
  const zone = gkZone(code) || null;
  const next = { code: zone ? zone.code : GEOGRAPHIC, zone };
  if (next.code === current.code) return;
  const previous = current;
  current = next;
  for (const listener of listeners) listener(next, previous);
}

export function onViewCrsChange(listener) {
  listeners.push(listener);
}

/** A lon/lat (EPSG:4490) coordinate in view coordinates. */
export function fromLonLat(coordinate) {
  return current.zone ? transform(coordinate, GEOGRAPHIC, current.code) : [...coordinate];
}

/** A view coordinate as lon/lat (EPSG:4490). */
export function toLonLat(coordinate) {
  return current.zone ? transform(coordinate, current.code, GEOGRAPHIC) : [...coordinate];
}

/** A lon/lat extent in view coordinates. */
export function extentFromLonLat(extent) {
  return current.zone ? transformExtent(extent, GEOGRAPHIC, current.code) : [...extent];
}

/** A view extent as lon/lat. */
export function extentToLonLat(extent) {
  return current.zone ? transformExtent(extent, current.code, GEOGRAPHIC) : [...extent];
}

/** Options for reading API GeoJSON (CRS84) into view coordinates. */
export function readOptions() {
  return { dataProjection: GEOGRAPHIC, featureProjection: current.code };
}

/** A GeoJSON feature or geometry object of the API as an OpenLayers feature in view coordinates. */
export function readFeature(feature) {
  return new GeoJSON().readFeature(feature, readOptions());
}

/** A GeoJSON geometry object of the API as an OpenLayers geometry in view coordinates. */
export function readGeometry(geometry) {
  return new GeoJSON().readGeometry(geometry, readOptions());
}

function swapAxes(geometry) {
  geometry.applyTransform((input, output, stride = 2) => {
    const out = output || input;
    for (let i = 0; i < input.length; i += stride) {
      const [x, y] = [input[i], input[i + 1]];
      out[i] = y;
      out[i + 1] = x;
    }
    return out;
  });
  return geometry;
}

/**
 * The parameters under which the API reads geometries written by `apiWkt` / `apiBbox`: nothing in the
 * 经纬度 view (CRS84 is the default), `filter-crs` / `bbox-crs` of the zone in a GK view.
 */
export function apiCrsParams({ filter = false, bbox = false } = {}) {
  if (!current.zone) return {};
  const uri = `${EPSG_URI}${current.zone.epsg}`;
  return { ...(filter ? { 'filter-crs': uri } : {}), ...(bbox ? { 'bbox-crs': uri } : {}) };
}

/** A view geometry as WKT for a CQL2 filter: lon lat (CRS84), or X Y (northing, easting) in a GK view. */
export function apiWkt(geometry, decimals) {
  const written = current.zone ? swapAxes(geometry.clone()) : geometry;
  return new WKT().writeGeometry(written, { decimals: decimals ?? (current.zone ? 3 : 7) });
}

/** A view extent as the `bbox` parameter: lon,lat,lon,lat or, in a GK view, minX,minY,maxX,maxY (N, E). */
export function apiBbox(extent) {
  if (!current.zone) return extent.map((v) => v.toFixed(7)).join(',');
  const [minE, minN, maxE, maxN] = extent;
  return [minN, minE, maxN, maxE].map((v) => v.toFixed(3)).join(',');
}

// CGCS2000 (EPSG:4490) and its Gauss–Krüger zones, registered with proj4 for OpenLayers, with the id of
// each zone's tile matrix set on the server (onemap/services/tiles/tms.py: GK3Zone39Quad, GK6CM117EQuad …).
import proj4 from 'proj4';
import { register } from 'ol/proj/proj4.js';
import { get as getProjection } from 'ol/proj.js';

export const GEOGRAPHIC = 'EPSG:4490';

const tmerc = (meridian, falseEasting) => `+proj=tmerc +lat_0=0 +lon_0=${meridian} +k=1 +x_0=${falseEasting} +y_0=0`
  + ' +ellps=GRS80 +units=m +no_defs';

function zone(epsg, width, number, meridian, prefix) {
  const falseEasting = prefix ? number * 1000000 + 500000 : 500000;
  const place = prefix ? `第${number}带` : `中央经线${meridian}°E`;
  return { code: `EPSG:${epsg}`, epsg, width, zone: number, meridian, prefix, falseEasting,
    label: `CGCS2000 ${width}度带 ${place}${prefix ? '(带号前缀)' : ''}`,
    short: `${width}度带${place}`,
    tms: `GK${width}${prefix ? `Zone${number}` : `CM${meridian}E`}Quad`,
    def: tmerc(meridian, falseEasting) };
}

// GB/T 18522 / EPSG: 4513–4533 are 3° zones 25–45 with the zone number in the false easting, 4534–4554
// the same central meridians (75°E–135°E) without it; 4491–4501 are 6° zones 13–23 with the number,
// 4502–4512 the same central meridians (75°E–135°E) without it.
export const GK_ZONES = [];
for (let i = 0; i <= 20; i += 1) {
  GK_ZONES.push(zone(4513 + i, 3, 25 + i, (25 + i) * 3, true));
  GK_ZONES.push(zone(4534 + i, 3, 25 + i, (25 + i) * 3, false));
}
for (let i = 0; i <= 10; i += 1) {
  GK_ZONES.push(zone(4491 + i, 6, 13 + i, (13 + i) * 6 - 3, true));
  GK_ZONES.push(zone(4502 + i, 6, 13 + i, (13 + i) * 6 - 3, false));
}

GK_ZONES.sort((a, b) => a.epsg - b.epsg);

export function registerProjections() {
  proj4.defs(GEOGRAPHIC, '+proj=longlat +ellps=GRS80 +no_defs +type=crs');
  for (const z of GK_ZONES) proj4.defs(z.code, z.def);
  register(proj4);
  const geographic = getProjection(GEOGRAPHIC);
  geographic.setExtent([-180, -90, 180, 90]);
  geographic.setWorldExtent([-180, -90, 180, 90]);
  geographic.setGlobal(true);
  return geographic;
}

/** The GK zone of an EPSG code ('EPSG:4527' or 4527), or undefined (e.g. for EPSG:4490). */
export function gkZone(code) {
  const text = String(code).startsWith('EPSG:') ? String(code) : `EPSG:${code}`;
  return GK_ZONES.find((z) => z.code === text);
}

export function toGeographic(code, easting, northing) {
  return proj4(code, GEOGRAPHIC, [easting, northing]);
}

export function fromGeographic(code, lon, lat) {
  return proj4(GEOGRAPHIC, code, [lon, lat]);
}

/** The 3° zone (with prefix) a longitude falls in, as 三调 data of that place would use it. */
export function zoneFor(lon) {
  return gkZone(4513 + Math.round(lon / 3) - 25);
}

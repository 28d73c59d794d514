// CGCS2000 (EPSG:4490) and its Gauss–Krüger 3° zones, registered with proj4 for OpenLayers.
import proj4 from 'proj4';
import { register } from 'ol/proj/proj4.js';
import { get as getProjection } from 'ol/proj.js';

export const GEOGRAPHIC = 'EPSG:4490';

// GB/T 18522 / EPSG: 4513–4533 are 3° zones 25–45 with the zone number in the false easting;
// 4534–4554 are the same central meridians (75°E–135°E) without it.
export const GK_ZONES = [];
for (let i = 0; i <= 20; i += 1) {
  const zone = 25 + i;
  const meridian = zone * 3;
  GK_ZONES.push({ code: `EPSG:${4513 + i}`, label: `CGCS2000 3度带 第${zone}带(带号前缀)`, meridian,
    def: `+proj=tmerc +lat_0=0 +lon_0=${meridian} +k=1 +x_0=${zone * 1000000 + 500000} +y_0=0 +ellps=GRS80 +units=m +no_defs` });
  GK_ZONES.push({ code: `EPSG:${4534 + i}`, label: `CGCS2000 3度带 中央经线${meridian}°E`, meridian,
    def: `+proj=tmerc +lat_0=0 +lon_0=${meridian} +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs` });
}

export function registerProjections() {
  proj4.defs(GEOGRAPHIC, '+proj=longlat +ellps=GRS80 +no_defs +type=crs');
  for (const zone of GK_ZONES) proj4.defs(zone.code, zone.def);
  register(proj4);
  const geographic = getProjection(GEOGRAPHIC);
  geographic.setExtent([-180, -90, 180, 90]);
  geographic.setWorldExtent([-180, -90, 180, 90]);
  geographic.setGlobal(true);
  return geographic;
}

export function toGeographic(code, easting, northing) {
  return proj4(code, GEOGRAPHIC, [easting, northing]);
}

export function fromGeographic(code, lon, lat) {
  return proj4(GEOGRAPHIC, code, [lon, lat]);
}

/** The zone (with prefix) a longitude falls in, as 三调 data of that place would use it. */
export function zoneFor(lon) {
  const zone = Math.round(lon / 3);
  return GK_ZONES.find((z) => z.code === `EPSG:${4513 + zone - 25}`);
}

// 地图投影 switch: 经纬度 (EPSG:4490) or the Gauss–Krüger zone(s) of the loaded data, as a select among
// the map tools. The zones offered are the catalog layers' own CRSs (e.g. 三调 data in EPSG:4527).
import { h } from './dom.js';
import { GEOGRAPHIC, gkZone } from './projections.js';
import { setViewCrs, viewCode } from './viewcrs.js';

/** The GK zones of the catalog entries, most used first. */
export function dataZones(entries) {
  const counts = new Map();
  for (const entry of entries) {
    const zone = gkZone(entry.epsg ?? '');
    if (zone) counts.set(zone, (counts.get(zone) || 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([zone]) => zone);
}

export function viewSwitch() {
  const select = h('select', { id: 'view-crs', name: 'view-crs', title: '地图显示所用的坐标系',
    onchange: () => setViewCrs(select.value) });
  const element = h('label', { class: 'tool view-crs' }, '地图投影', select);
  /** Offer 经纬度 and the zones of `entries` (the current choice stays offered). */
  element.refresh = (entries) => {
    const zones = dataZones(entries);
    const current = gkZone(viewCode());
    if (current && !zones.includes(current)) zones.push(current);
    select.replaceChildren(h('option', { value: GEOGRAPHIC }, 'CGCS2000 经纬度(EPSG:4490)'),
      ...zones.map((z) => h('option', { value: z.code }, `高斯投影 ${z.short}(${z.code})`)));
    select.value = viewCode();
  };
  return element;
}

// 查询结果: all matching features (paged through the items endpoint's next links), a table whose rows
// zoom to their feature (数查图), and the server's CSV/Excel export of the same query.
import { api, query } from './api.js';
import { h } from './dom.js';
import { displayValue, fieldName } from './identify.js';
import { viewZoom } from './tiles.js';
import { readFeature } from './viewcrs.js';

const PAGE = 5000;
const MAX_FEATURES = 50000;
const SHOWN_ROWS = 300;
const EXPORT_LIMIT = 10000; // the items endpoint's largest page

/**
 * Every feature matching a CQL2 filter (and bbox, with their `filter-crs` / `bbox-crs`), following `next`
 * links; {features, truncated}.
 */
export async function fetchAll(layer, { filter, bbox, ...crs }) {
  let path = `/ogc/collections/${encodeURIComponent(layer)}/items${query({ limit: PAGE, filter, bbox, ...crs })}`;
  const features = [];
  while (path && features.length < MAX_FEATURES) {
    const page = await api(path);
    features.push(...page.features);
    const next = (page.links || []).find((link) => link.rel === 'next');
    path = next ? new URL(next.href, window.location.href).pathname + new URL(next.href, window.location.href).search : null;
  }
  return { features, truncated: Boolean(path) };
}

/** The columns worth a glance in the table: the key, code fields and areas first. */
function tableFields(features, schema) {
  const all = Object.keys(features[0]?.properties || {});
  const preferred = ['BSM', 'DLBM', 'DLMC', 'ZLDWMC', 'TBMJ', 'YDYHFLDM', 'GHFQDM', 'MC', 'MJ'];
  const picked = preferred.filter((f) => all.includes(f));
  for (const f of all) if (picked.length < 5 && !picked.includes(f) && schema[f]) picked.push(f);
  return picked;
}

export function resultsTable(layer, features, schema, { map, highlight }) {
  const fields = tableFields(features, schema);
  const zoomTo = (feature) => {
    highlight.clear();
    if (!feature.geometry) return;
    const olFeature = readFeature(feature);
    highlight.addFeature(olFeature);
    map.getView().fit(olFeature.getGeometry().getExtent(), { padding: [60, 60, 60, 60], maxZoom: viewZoom(18), duration: 300 });
  };
  return h('div', { class: 'results-wrap' }, h('table', { class: 'results' },
    h('thead', {}, h('tr', {}, fields.map((f) => h('th', { title: f }, fieldName(layer, f, schema))))),
    h('tbody', {}, features.slice(0, SHOWN_ROWS).map((feature) => h('tr', { 'data-id': feature.id, onclick: () => zoomTo(feature) },
      fields.map((f) => h('td', {}, displayValue(f, feature.properties[f], schema))))))));
}

/** The items endpoint's attribute-table download (f=csv or f=xlsx) for the same filter and range. */
export function exportUrl(layer, { filter, bbox, f, ...crs }) {
  return `/ogc/collections/${encodeURIComponent(layer)}/items${query({ f, limit: EXPORT_LIMIT, filter, bbox, ...crs })}`;
}

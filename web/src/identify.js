// 属性查询(identify): the top feature under the click, with Chinese field names (standards data) and
// code names (the layer's queryables, e.g. DLBM 0101 → 水田); full geometry from the items endpoint.
import { api } from './api.js';
import { clear, h } from './dom.js';
import { standards } from './styles.js';
import { readFeature } from './viewcrs.js';

const codeLists = new Map();

/** {field: {title, codes: {code: name}}} from /ogc/collections/{layer}/queryables (cached). */
export function queryables(layer) {
  if (!codeLists.has(layer)) {
    codeLists.set(layer, api(`/ogc/collections/${encodeURIComponent(layer)}/queryables`).then((schema) => {
      const out = {};
      for (const [field, spec] of Object.entries(schema.properties || {})) {
        const codes = {};
        for (const option of spec.oneOf || spec.anyOf || []) if ('const' in option) codes[option.const] = option.title;
        out[field] = { title: spec.title, type: spec.type, codes };
      }
      return out;
    }).catch(() => {
      codeLists.delete(layer); // asked again next time (the network may be back)
      return {};
    }));
  }
  return codeLists.get(layer);
}

export function fieldName(layer, field, schema) {
  const names = standards.fields[layer] || {};
  return names[field] || schema?.[field]?.title || standards.fields['*'][field] || field;
}

export function displayValue(field, value, schema) {
  const name = schema?.[field]?.codes?.[value];
  if (value === null || value === undefined || value === '') return '';
  return name ? `${value} ${name}` : String(value);
}

function topFeature(map, pixel, layers) {
  for (const [name, layer] of layers) {
    const found = map.getFeaturesAtPixel(pixel, { layerFilter: (l) => l === layer, hitTolerance: 2 });
    if (found.length) return { name, feature: found[0] };
  }
  return null;
}

/** {item} of the items endpoint, or {error} (e.g. 公众 may view tiles of a layer but not read its items). */
async function fullFeature(name, key) {
  try {
    return { item: await api(`/ogc/collections/${encodeURIComponent(name)}/items/${encodeURIComponent(key)}`) };
  } catch (error) {
    return { error };
  }
}

export function installIdentify({ map, highlight, manager, panel, titleOf }) {
  map.on('singleclick', async (event) => {
    if (map.get('drawing')) return;
    const hit = topFeature(map, event.pixel, manager.layers());
    if (!hit) return;
    const tileProps = { ...hit.feature.getProperties() };
    delete tileProps.geometry;
    const key = tileProps.key ?? tileProps.BSM;
    delete tileProps.key;
    panel.show('属性查询', h('p', { class: 'muted', id: 'identify-loading' }, '加载中…'));
    const [{ item, error }, schema] = await Promise.all([key ? fullFeature(hit.name, key) : {}, queryables(hit.name)]);
    highlight.clear();
    if (item?.geometry) {
      highlight.addFeature(readFeature(item));
    }
    const properties = item?.properties || tileProps;
    const rows = Object.entries(properties).map(([field, value]) => h('tr', { 'data-field': field },
      h('th', { title: field }, fieldName(hit.name, field, schema)), h('td', {}, displayValue(field, value, schema))));
    panel.show('属性查询', h('div', { id: 'identify' },
      h('p', { class: 'muted' }, `${titleOf(hit.name)}(${hit.name})`, item ? '' : ' · 来自矢量瓦片'),
      error && error.status !== 404 ? h('p', { class: 'error', id: 'identify-error' }, error.message) : null,
      h('table', { class: 'attrs' }, h('tbody', {}, rows))));
  });
}

export function clearPanel(el) {
  clear(el);
}

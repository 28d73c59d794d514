// 行政区 units for pickers: county (6 digits) → township (XZQ, 9) → village (CJDCQ ZLDWDM, 19), with
// names and outlines (CRS84), loaded once per sign-in from the layers' items.
import { api } from './api.js';
import { h } from './dom.js';

let loaded = null;

async function items(layer, fields) {
  const page = await api(`/ogc/collections/${layer}/items?limit=10000&properties=${fields.join(',')}`);
  return page.features;
}

/** [{code, name, level: 'county'|'town'|'village', feature}] sorted by code; [] when not readable. */
export function adminUnits() {
  loaded ??= Promise.all([items('XZQ', ['XZQDM', 'XZQMC']), items('CJDCQ', ['ZLDWDM', 'ZLDWMC'])])
    .then(([towns, villages]) => {
      const units = [];
      for (const code of new Set(towns.map((t) => String(t.properties.XZQDM).slice(0, 6)))) {
        units.push({ code, name: `县级 ${code}`, level: 'county', feature: null });
      }
      for (const t of towns) units.push({ code: String(t.properties.XZQDM), name: t.properties.XZQMC, level: 'town', feature: t });
      for (const v of villages) {
        units.push({ code: String(v.properties.ZLDWDM), name: v.properties.ZLDWMC, level: 'village', feature: v });
      }
      return units.sort((a, b) => a.code.localeCompare(b.code));
    })
    .catch(() => { loaded = null; return []; });
  return loaded;
}

const pickers = new Set(); // fill functions of the pickers already shown once

/** Forget the units and refill the pickers in use (after signing in or out: what a user may read changes). */
export function resetUnits() {
  loaded = null;
  for (const fill of pickers) fill();
}

const INDENT = { county: '', town: '\u3000', village: '\u3000\u3000' };

/**
 * A <select> of the units (value: the code prefix), with a first option `emptyLabel`. The units are
 * loaded by `select.load()` when its panel is first shown, so the map's first paint does not wait for them.
 */
export function unitSelect(name, emptyLabel, onChange) {
  const select = h('select', { name, id: name, onchange: () => onChange?.(select.value) },
    h('option', { value: '' }, emptyLabel));
  const fill = async () => {
    const units = await adminUnits();
    select.replaceChildren(h('option', { value: '' }, emptyLabel),
      ...units.map((u) => h('option', { value: u.code, 'data-level': u.level }, `${INDENT[u.level]}${u.name}`)));
    onChange?.('');
  };
  select.load = () => {
    if (pickers.has(fill)) return;
    pickers.add(fill);
    fill();
  };
  return select;
}

/** The unit of a code, or undefined. */
export async function unitOf(code) {
  return (await adminUnits()).find((u) => u.code === code);
}

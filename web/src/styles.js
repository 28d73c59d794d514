// Layer styles: DLTB by the 三调 colour table (generated from the package's standards data),
// control lines (红线) in their customary colours, any other layer in a colour derived from its name.
import { Fill, Stroke, Style, Text } from 'ol/style.js';
import standards from './generated/standards.json';

const CONTROL_LINES = {
  STBHHX: { fill: [56, 168, 0, 0.25], stroke: [38, 115, 0], width: 2 },
  YJJBNTBHTB: { fill: [255, 235, 120, 0.45], stroke: [200, 160, 0], width: 1 },
  CZKFBJ: { fill: [230, 0, 0, 0.05], stroke: [230, 0, 0], width: 2.5 },
  XZQ: { fill: null, stroke: [90, 90, 90], width: 2 },
  CJDCQ: { fill: null, stroke: [140, 140, 140], width: 1 },
};

export function landuseColor(code) {
  const colors = standards.landuseColors;
  return colors[code] || colors[String(code || '').slice(0, 2)] || [200, 200, 200];
}

function rgba([r, g, b], a = 1) {
  return `rgba(${r},${g},${b},${a})`;
}

function hashColor(text) {
  let hash = 0;
  for (const ch of text) hash = (hash * 31 + ch.codePointAt(0)) % 360;
  return `hsl(${hash}, 55%, 55%)`;
}

/** The style of a layer as {fill, stroke} CSS colours, for the legend. */
export function layerSwatch(name) {
  const control = CONTROL_LINES[name];
  if (control) {
    return { fill: control.fill ? rgba(control.fill, control.fill[3]) : 'transparent', stroke: rgba(control.stroke) };
  }
  return { fill: hashColor(name), stroke: '#555' };
}

const cache = new Map();

function cached(key, make) {
  if (!cache.has(key)) cache.set(key, make());
  return cache.get(key);
}

function dltbStyle(feature, resolution) {
  const code = feature.get('DLBM') || '';
  const outline = resolution < 2e-5;
  return cached(`DLTB:${code}:${outline}`, () => new Style({
    fill: new Fill({ color: rgba(landuseColor(code)) }),
    stroke: outline ? new Stroke({ color: 'rgba(90,90,90,0.6)', width: 0.6 }) : undefined,
  }));
}

export function styleFor(name) {
  if (name === 'DLTB') return dltbStyle;
  const control = CONTROL_LINES[name];
  const { fill, stroke } = layerSwatch(name);
  return new Style({
    fill: control && !control.fill ? undefined : new Fill({ color: control ? fill : fill.replace('hsl', 'hsla').replace(')', ', 0.45)') }),
    stroke: new Stroke({ color: stroke, width: control ? control.width : 1 }),
  });
}

/**
 * The base map (行政区划底图): counties and villages in light grey with village names.
 * A unit cut by tile edges comes as one fragment per tile; only the first fragment styled at a zoom
 * level carries the label, so each village is named once (`labelled`, id → fragment, is cleared when
 * the zoom changes; the same fragment keeps its label when its tile is drawn again).
 */
export function baseStyle(nameField, labelled) {
  const fill = new Fill({ color: '#f4f1ea' });
  const stroke = new Stroke({ color: '#b9b3a6', width: 1 });
  const plain = new Style({ fill, stroke });
  return (feature, resolution) => {
    const label = resolution < 1e-4 ? feature.get(nameField) : undefined;
    const id = `${feature.get('key') ?? label}@${resolution}`;
    if (!label || (labelled.has(id) && labelled.get(id) !== feature)) return plain;
    labelled.set(id, feature);
    return new Style({ fill, stroke, text: new Text({ text: String(label), font: '12px "Noto Sans CJK SC", sans-serif',
      fill: new Fill({ color: '#8a8171' }), stroke: new Stroke({ color: '#fff', width: 3 }), overflow: true }) });
  };
}

export { standards };

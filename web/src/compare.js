// 对比分析: two layers, or two versions of one layer, compared by 卷帘 (swipe: A left of the line, B right)
// or 分屏 (side-by-side maps sharing one view, so panning one pans the other); and the 叠加分析 view.
import OlMap from 'ol/Map.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import { defaults as defaultControls } from 'ol/control.js';
import { clear, h } from './dom.js';
import { addBaseMap } from './map.js';
import { styleFor } from './styles.js';
import { vectorTileSource } from './tiles.js';
import { overlayView } from './overlay.js';
import { onViewCrsChange } from './viewcrs.js';

const Z_COMPARE = 500;

/** Every (layer, version) pair of the catalog as options, the newest version first. */
function choices(entries) {
  return entries.flatMap((e) => [...e.versions].reverse().map((v) => ({
    value: `${e.name}@${v.version}`, name: e.name, version: v.version === e.version ? null : v.version,
    label: `${e.title || e.name} v${v.version}${v.valid_date ? ` (${v.valid_date.slice(0, 10)})` : ''}${v.version === e.version ? ' 现行' : ''}`,
  })));
}

function tileLayer(choice) {
  return new VectorTileLayer({ source: vectorTileSource(choice.name, choice.version), style: styleFor(choice.name),
    zIndex: Z_COMPARE, renderMode: 'hybrid', properties: { compare: choice.value } });
}

/** Clip a layer's drawing to the left (`side` = 'left') or right of `ratio()` of the map width. */
function clipTo(layer, side, ratio) {
  layer.on('prerender', (event) => {
    const ctx = event.context;
    const width = ctx.canvas.width;
    const x = Math.round(width * ratio());
    ctx.save();
    ctx.beginPath();
    if (side === 'left') ctx.rect(0, 0, x, ctx.canvas.height);
    else ctx.rect(x, 0, width - x, ctx.canvas.height);
    ctx.clip();
  });
  layer.on('postrender', (event) => event.context.restore());
}

function swipeControl(mapwrap, onInput) {
  const line = h('div', { class: 'swipe-line' });
  const range = h('input', { type: 'range', min: 0, max: 100, value: 50, id: 'swipe-range', title: '卷帘位置' });
  const box = h('div', { id: 'swipe' }, line, range);
  const place = () => { line.style.left = `${range.value}%`; };
  range.addEventListener('input', () => { place(); onInput(); });
  place();
  mapwrap.append(box);
  return { ratio: () => Number(range.value) / 100, remove: () => box.remove() };
}

export function installCompare({ map, panel, tabs, entries, mapwrap }) {
  const state = { layers: [], swipe: null, second: null };
  const pickA = h('select', { name: 'compare-a', id: 'compare-a' });
  const pickB = h('select', { name: 'compare-b', id: 'compare-b' });
  const mode = h('select', { name: 'compare-mode', id: 'compare-mode' },
    h('option', { value: 'swipe' }, '卷帘'), h('option', { value: 'split' }, '分屏(联动)'));
  const note = h('p', { class: 'muted', id: 'compare-state' });
  const overlay = overlayView({ entries });

  const stop = () => {
    for (const [owner, layer] of state.layers) owner.removeLayer(layer);
    state.layers = [];
    state.swipe?.remove();
    state.swipe = null;
    if (state.second) {
      state.second.setTarget(null);
      document.getElementById('map2')?.remove();
      mapwrap.classList.remove('split');
      state.second = null;
      setTimeout(() => map.updateSize(), 0);
    }
    note.textContent = '';
    document.body.dataset.compare = '';
  };

  const start = () => {
    stop();
    const all = choices(entries());
    const a = all.find((c) => c.value === pickA.value);
    const b = all.find((c) => c.value === pickB.value);
    if (!a || !b) return;
    const layerA = tileLayer(a);
    const layerB = tileLayer(b);
    if (mode.value === 'swipe') {
      state.swipe = swipeControl(mapwrap, () => map.render());
      clipTo(layerA, 'left', state.swipe.ratio);
      clipTo(layerB, 'right', state.swipe.ratio);
      map.addLayer(layerA);
      map.addLayer(layerB);
      state.layers = [[map, layerA], [map, layerB]];
      note.textContent = `卷帘:左 ${a.label},右 ${b.label}`;
    } else {
      mapwrap.classList.add('split');
      const target = h('div', { id: 'map2' });
      mapwrap.append(target);
      const second = new OlMap({ target, view: map.getView(), controls: defaultControls({ attribution: false, rotate: false }) });
      addBaseMap(second, new Set(entries().map((e) => e.name)));
      second.addLayer(layerB);
      map.addLayer(layerA);
      state.layers = [[map, layerA], [second, layerB]];
      state.second = second;
      window.onemap.secondMap = second;
      map.updateSize();
      note.textContent = `分屏:左 ${a.label},右 ${b.label}(视图联动)`;
    }
    document.body.dataset.compare = mode.value;
  };

  const element = h('div', { id: 'compare-panel' },
    h('div', { class: 'query' },
      h('label', { class: 'line' }, '左(A)', pickA),
      h('label', { class: 'line' }, '右(B)', pickB),
      h('div', { class: 'line' }, h('span', {}, '方式'), mode,
        h('button', { type: 'button', class: 'primary', id: 'compare-run', onclick: start }, '开始对比'),
        h('button', { type: 'button', id: 'compare-stop', onclick: stop }, '结束')),
      note),
    overlay);

  const refresh = () => {
    const all = choices(entries());
    const keep = [pickA.value, pickB.value];
    clear(pickA, all.map((c) => h('option', { value: c.value }, c.label)));
    clear(pickB, all.map((c) => h('option', { value: c.value }, c.label)));
    const versioned = entries().find((e) => e.versions.length > 1);
    if (keep[0] && all.some((c) => c.value === keep[0])) [pickA.value, pickB.value] = keep;
    else if (versioned) {
      pickA.value = `${versioned.name}@${versioned.versions[0].version}`;
      pickB.value = `${versioned.name}@${versioned.version}`;
    }
    overlay.refresh();
  };

  onViewCrsChange(() => { // again with tiles in the new tile matrix set; the second map on the new view
    if (state.layers.length) start();
  });

  tabs.addEventListener('click', (event) => {
    const tab = event.target.closest('button[data-tab]');
    if (!tab) return;
    if (tab.dataset.tab === 'compare') {
      for (const b of tabs.querySelectorAll('button')) b.classList.toggle('active', b === tab);
      refresh();
      panel.show('对比分析', element);
    } else {
      stop();
    }
  });
  return { stop };
}

// 已加载图层: order, opacity and a simple legend for each switched-on layer.
import { clear, h } from './dom.js';
import { landuseColor, layerSwatch, standards } from './styles.js';
import { stateText } from './tilestate.js';

function swatch(fill, stroke) {
  return h('span', { class: 'swatch', style: `background:${fill};border-color:${stroke}` });
}

function legendOf(name) {
  if (name === 'DLTB') {
    return h('ul', { class: 'legend' }, standards.landuseLevel1.map(({ code, name: title }) => {
      const [r, g, b] = landuseColor(code);
      return h('li', {}, swatch(`rgb(${r},${g},${b})`, '#999'), `${code} ${title}`);
    }));
  }
  const { fill, stroke } = layerSwatch(name);
  return h('ul', { class: 'legend' }, h('li', {}, swatch(fill, stroke), '图斑'));
}

function stateBadge(state = {}) {
  return h('span', { class: `layer-state${state.error ? ' error' : ''}`, 'data-state': state.error ? 'error' : (state.loading ? 'loading' : 'ok') },
    stateText(state));
}

/** Show a layer's loading state (加载中… / 无权访问该图层 / 网络错误,请重试) without redrawing the list. */
export function renderLayerState(container, item) {
  const badge = container.querySelector(`.active-layer[data-layer='${item.entry.name}'] .layer-state`);
  badge?.replaceWith(stateBadge(item.state));
}

export function renderLayers(container, manager) {
  const { active } = manager;
  if (!active.length) {
    clear(container, h('p', { class: 'empty' }, '在资源目录中勾选图层'));
    return;
  }
  clear(container, active.map(({ entry, layer, version, state }, i) => h('div', { class: 'active-layer', 'data-layer': entry.name },
    h('div', { class: 'row' },
      h('span', { class: 'title' }, entry.title || entry.name, version ? ` (v${version})` : ''),
      stateBadge(state),
      h('button', { type: 'button', title: '上移', disabled: i === 0, onclick: () => manager.move(entry.name, -1) }, '↑'),
      h('button', { type: 'button', title: '下移', disabled: i === active.length - 1, onclick: () => manager.move(entry.name, 1) }, '↓')),
    h('label', { class: 'opacity' }, '透明度',
      h('input', { type: 'range', min: 0, max: 100, value: Math.round(layer.getOpacity() * 100),
        oninput: (event) => manager.setOpacity(entry.name, event.target.value / 100) })),
    legendOf(entry.name))));
}

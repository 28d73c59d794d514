// 行政区定位: county → township (XZQ, 乡镇级) → village (CJDCQ, 村级调查区) tree built from the layers'
// items; a click fits the map to the unit and outlines it. 行政区划代码: county 6 digits, township 9,
// village ZLDWDM 19 (starting with its township's code).
import { api } from './api.js';
import { clear, h } from './dom.js';
import { readFeature } from './viewcrs.js';

async function units(layer, fields) {
  const page = await api(`/ogc/collections/${layer}/items?limit=10000&properties=${fields.join(',')}`);
  return page.features;
}

function node(label, feature, onPick, children = []) {
  const list = children.length ? h('ul', { hidden: true }, children) : null;
  const caret = h('button', { type: 'button', class: `caret${list ? '' : ' leaf'}`,
    onclick: () => { if (list) { list.hidden = !list.hidden; caret.classList.toggle('open', !list.hidden); } } });
  const name = h('button', { type: 'button', class: 'unit', onclick: () => onPick(feature) }, label);
  return h('li', {}, h('div', { class: 'row' }, caret, name), list);
}

export function regionTool({ map, highlight }) {
  const body = h('div', { class: 'region-tree' });
  const pick = (feature) => {
    highlight.clear();
    if (!feature) return;
    const olFeature = readFeature(feature);
    highlight.addFeature(olFeature);
    map.getView().fit(olFeature.getGeometry().getExtent(), { padding: [40, 40, 40, 40], duration: 300 });
  };
  const load = async () => {
    clear(body, h('p', { class: 'muted' }, '加载中…'));
    try {
      const [towns, villages] = await Promise.all([units('XZQ', ['XZQDM', 'XZQMC']), units('CJDCQ', ['ZLDWDM', 'ZLDWMC'])]);
      const counties = [...new Set(towns.map((t) => String(t.properties.XZQDM).slice(0, 6)))].sort();
      clear(body, h('ul', { class: 'tree' }, counties.map((county) => node(`县级 ${county}`, null, pick,
        towns.filter((t) => String(t.properties.XZQDM).startsWith(county))
          .sort((a, b) => String(a.properties.XZQDM).localeCompare(b.properties.XZQDM))
          .map((town) => node(town.properties.XZQMC, town, pick,
            villages.filter((v) => String(v.properties.ZLDWDM).startsWith(town.properties.XZQDM))
              .sort((a, b) => String(a.properties.ZLDWDM).localeCompare(b.properties.ZLDWDM))
              .map((village) => node(village.properties.ZLDWMC, village, pick))))))));
      body.querySelector('.caret')?.click(); // the county open by default
    } catch (error) {
      clear(body, h('p', { class: 'muted' }, error.status === 404 ? '登录后可按行政区定位' : `加载失败:${error.message}`));
    }
  };
  const box = h('div', { class: 'region', hidden: true }, body);
  const toggle = h('button', { type: 'button', id: 'region-button', onclick: () => {
    box.hidden = !box.hidden;
    if (!box.hidden) load();
  } }, '行政区定位');
  return h('div', { class: 'tool' }, toggle, box);
}

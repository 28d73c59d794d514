// 监测预警: the warnings of the node on the map (patches coloured by level) and in a list with filters; a
// warning's detail (rule, evidence, layer versions, lifecycle) with its state changes (核实 → 处置 → 销号, each
// with an opinion); new warnings arrive live (Server-Sent Events from /api/warnings/stream); the dead letters
// (messages that could not be processed, with the reason) for those who manage warnings.
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { when, zoned } from '../localtime.js';
import { viewZoom } from '../tiles.js';
import { onViewCrsChange, viewCode } from '../viewcrs.js';
import { installTab, line, statusLine, table } from './jobs.js';

const SHOWN = 200;

function levelStyle(colour) {
  return new Style({ stroke: new Stroke({ color: colour, width: 2.5 }), fill: new Fill({ color: `${colour}55` }) });
}

function warningLayer(map, colours) {
  const source = new VectorSource();
  const styles = {};
  map.addLayer(new VectorLayer({ source, zIndex: 1002, style: (feature) => {
    const colour = colours()[feature.get('level')] || '#555555';
    styles[colour] ||= levelStyle(colour);
    return styles[colour];
  } }));
  onViewCrsChange((next, previous) => {
    for (const feature of source.getFeatures()) feature.getGeometry()?.transform(previous.code, next.code);
  });
  return source;
}

function chip(level, colours) {
  return h('span', { class: 'level-chip', style: `background:${colours[level] || '#777'}`, 'data-level': level }, level);
}

function monitoringPage({ map }) {
  const state = { vocabulary: null, colours: {}, items: [], stream: null, selected: null };
  const source = warningLayer(map, () => state.colours);
  const status = statusLine('mon-status');
  const live = h('span', { class: 'muted', id: 'mon-live' }, '实时推送:未连接');
  const summary = h('div', { id: 'mon-summary', class: 'mon-summary' });
  const option = (value, text) => h('option', { value }, text);
  const level = h('select', { id: 'mon-level' }, option('', '全部等级'));
  const rule = h('select', { id: 'mon-rule' }, option('', '全部规则'));
  const stateFilter = h('select', { id: 'mon-state' }, option('', '全部状态'));
  const region = h('input', { id: 'mon-region', placeholder: '行政区代码,如 341799101', size: 14 });
  const list = h('div', { id: 'mon-list' });
  const detail = h('div', { id: 'mon-detail' });
  const letters = h('details', { id: 'mon-dead' }, h('summary', {}, '无法处理的消息(死信)'));
  const reportLink = (format, text) => h('a', { id: `mon-report-${format}`, href: '#', download: '', onclick: (event) => {
    const query = new URLSearchParams({ format });
    if (region.value.trim()) query.set('region', region.value.trim());
    event.currentTarget.href = `/api/warnings/report?${query}`;
  } }, text);

  const params = () => {
    const query = new URLSearchParams({ limit: String(SHOWN) });
    for (const [key, control] of [['level', level], ['rule', rule], ['state', stateFilter], ['region', region]]) {
      if (control.value.trim()) query.set(key, control.value.trim());
    }
    return query;
  };

  const zoomTo = (id) => {
    const feature = source.getFeatureById(id);
    if (feature?.getGeometry()) {
      map.getView().fit(feature.getGeometry().getExtent(), { padding: [80, 80, 80, 80], maxZoom: viewZoom(17), duration: 200 });
    }
  };

  const renderSummary = (counts) => {
    clear(summary, ...Object.entries(counts).map(([code, n]) => h('span', { class: 'mon-count' },
      chip(code, state.colours), h('b', { 'data-count': code }, String(n)))));
  };

  const renderList = () => {
    const rows = state.items.map((w) => h('tr', {
      'data-id': w.id, 'data-level': w.level, class: w.id === state.selected ? 'locatable selected' : 'locatable',
      title: '单击查看详情并定位', onclick: () => open(w.id) },
    h('td', {}, chip(w.level, state.colours)), h('td', {}, w.title), h('td', {}, w.region), h('td', {}, w.subject_id),
    h('td', { 'data-state': w.state }, w.state), h('td', {}, when(w.created_at)), h('td', {}, w.message)));
    clear(list, h('p', { class: 'muted', id: 'mon-count' }, `共 ${state.items.length} 条(最新在前)`),
      table(['等级', '规则', '行政区', '对象', '状态', zoned('时间'), '说明'], rows, { id: 'mon-table' }));
  };

  const loadMap = async () => {
    const geo = await api(`/api/warnings?${params()}&format=geojson`);
    source.clear();
    source.addFeatures(new GeoJSON().readFeatures({ ...geo, features: geo.features.filter((f) => f.geometry) },
      { dataProjection: 'EPSG:4490', featureProjection: viewCode() }));
  };

  const load = async () => {
    status.clear();
    try {
      const answer = await api(`/api/warnings?${params()}`);
      state.items = answer.items;
      renderSummary(answer.by_level);
      renderList();
      await Promise.all([loadMap(), loadLetters()]);
    } catch (error) {
      status.error(error.message);
    }
  };

  const transitionForm = (w) => {
    if (!w.next_states.length) return h('p', { class: 'muted' }, '预警已销号,处置完毕。');
    const to = h('select', { id: 'mon-to' }, w.next_states.map((s) => option(s, s)));
    const opinion = h('textarea', { id: 'mon-opinion', rows: 3, cols: 40, placeholder: '核实、处置或销号意见' });
    const submit = h('button', { type: 'button', id: 'mon-submit', onclick: async () => {
      submit.disabled = true;
      try {
        const changed = await api(`/api/warnings/${w.id}/transition`, { method: 'POST',
          body: { to: to.value, opinion: opinion.value } });
        status.info(`预警 ${w.id} 已转为“${changed.state}”`);
        renderDetail(changed);
        await load();
      } catch (error) {
        status.error(error.message);
      } finally {
        submit.disabled = false;
      }
    } }, '提交');
    return h('div', { class: 'mon-transition' }, line('转为', to), line('意见', opinion), submit);
  };

  const renderDetail = (w) => {
    const evidence = w.evidence || {};
    const versions = Object.entries(evidence.versions || {}).map(([layer, v]) => `${layer} v${v}`).join('、');
    const facts = [['规则', `${w.title}(${w.rule})`], ['等级', chip(w.level, state.colours)], ['行政区', w.region],
      ['对象', `${w.subject_kind === 'patch' ? '监测图斑' : '项目'} ${w.subject_id}`], ['状态', w.state],
      ['说明', w.message], ['涉及面积', evidence.area_m2 !== undefined ? `${evidence.area_m2} 平方米` : ''],
      ['图层版本', versions], ['规则版本', evidence.rule_version || ''], ['监测日期', w.patch?.observed_at || ''],
      ['来源', w.patch?.source || evidence.event || '']];
    const events = (w.events || []).map((e) => [when(e.at), e.actor, `${e.from_state} → ${e.to_state}`, e.opinion]);
    clear(detail, h('h4', {}, `预警 ${w.id}`),
      h('dl', { class: 'mon-facts' }, facts.filter(([, v]) => v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('h5', {}, '处置过程'), events.length ? table([zoned('时间'), '办理人', '状态', '意见'], events, { id: 'mon-events' })
        : h('p', { class: 'muted' }, '尚未处置'),
      transitionForm(w));
  };

  async function open(id) {
    state.selected = id;
    renderList();
    try {
      renderDetail(await api(`/api/warnings/${id}`));
      zoomTo(id);
    } catch (error) {
      status.error(error.message);
    }
  }

  async function loadLetters() {
    try {
      const answer = await api('/api/monitoring/dead-letters?limit=50');
      clear(letters, h('summary', {}, `无法处理的消息(死信,共 ${answer.total} 条)`),
        table([zoned('时间'), '通道', '消息编号', '原因'], answer.items.map((d) => [when(d.at), d.channel, d.message_id || '', d.reason]),
          { id: 'mon-dead-table' }));
    } catch {
      letters.hidden = true; // only those who manage warnings see them
    }
  }

  const connect = () => {
    if (state.stream || typeof EventSource === 'undefined') return;
    const stream = new EventSource('/api/warnings/stream', { withCredentials: true });
    state.stream = stream;
    stream.onopen = () => { live.textContent = '实时推送:已连接'; live.dataset.live = 'on'; };
    stream.onerror = () => { live.textContent = '实时推送:重新连接中…'; live.dataset.live = 'off'; };
    let pending = null; // a burst of warnings reloads the list once
    stream.addEventListener('warning', (event) => {
      const w = JSON.parse(event.data);
      clearTimeout(pending);
      pending = setTimeout(() => load().then(() => status.info(`新预警:【${w.level}】${w.title}(${w.region})`)), 300);
    });
  };

  const setUp = async () => {
    if (state.vocabulary) return;
    state.vocabulary = await api('/api/warnings/vocabulary');
    state.colours = Object.fromEntries(state.vocabulary.levels.map((l) => [l.code, l.colour]));
    level.append(...state.vocabulary.levels.map((l) => option(l.code, `${l.code}(${l.name_zh})`)));
    rule.append(...state.vocabulary.rules.map((r) => option(r.id, r.title)));
    stateFilter.append(...state.vocabulary.states.map((s) => option(s.state, s.state)));
  };

  for (const control of [level, rule, stateFilter]) control.addEventListener('change', load);
  region.addEventListener('change', load);

  const page = h('div', { class: 'business-page', id: 'monitoring-page' },
    h('div', { class: 'mon-head' }, summary, live),
    h('div', { class: 'filters' }, line('等级', level), line('规则', rule), line('状态', stateFilter), line('行政区', region),
      h('button', { type: 'button', id: 'mon-refresh', onclick: load }, '刷新'),
      h('span', { class: 'mon-reports' }, '预警报告:', reportLink('pdf', 'PDF'), ' ', reportLink('docx', 'Word'))),
    status, list, detail, letters);
  page.refresh = async () => {
    try {
      await setUp();
    } catch (error) {
      status.error(error.message);
      return;
    }
    connect();
    await load();
  };
  return page;
}

export function installMonitoring({ panel, tabs, map }) {
  installTab({ panel, tabs }, 'monitoring', '监测预警', monitoringPage({ map }));
}

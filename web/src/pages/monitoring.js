// 监测预警: the warnings of the node on the map (patches coloured by level) and in a list with filters; a
// warning's detail (rule, evidence, layer versions, lifecycle) with its state changes (核实 → 处置 → 销号, each
// with an opinion); new warnings arrive live (Server-Sent Events from /api/warnings/stream); the dead letters
// (messages that could not be processed, with the reason) for those who manage warnings; 预警巡检 (the
// indicator and trend rules, run as a job) and 指标监测 (each watched indicator's gauge and trend, per region).
import GeoJSON from 'ol/format/GeoJSON.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Fill, Stroke, Style } from 'ol/style.js';
import { api } from '../api.js';
import { clear, h } from '../dom.js';
import { when, zoned } from '../localtime.js';
import { viewZoom } from '../tiles.js';
import { onViewCrsChange, viewCode } from '../viewcrs.js';
import { filePicker, installTab, line, progressBar, runProcess, statusLine, table, upload } from './jobs.js';
import { indicatorBoard } from './monitoring_board.js';

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
    const file = filePicker('mon-file', '.pdf,.docx,.xlsx,.png,.jpg,.jpeg', '现场照片、整改通知、销号材料等(可不选)');
    const formStatus = statusLine('mon-form-status'); // the form's own answer: live warnings do not overwrite it
    const submit = h('button', { type: 'button', id: 'mon-submit', onclick: async () => {
      submit.disabled = true;
      formStatus.clear();
      try {
        const chosen = file.input.files[0];
        let changed;
        if (chosen) {
          const form = new FormData();
          form.append('to', to.value);
          form.append('opinion', opinion.value);
          form.append('file', chosen);
          changed = await upload(`/api/warnings/handle/${w.id}`, form);
        } else {
          changed = await api(`/api/warnings/${w.id}/transition`, { method: 'POST',
            body: { to: to.value, opinion: opinion.value } });
        }
        status.info(`预警 ${w.id} 已转为“${changed.state}”`);
        renderDetail(changed);
        await load();
      } catch (error) {
        formStatus.error(error.message);
      } finally {
        submit.disabled = false;
      }
    } }, '提交');
    return h('div', { class: 'mon-transition' }, line('转为', to), line('意见', opinion), line('附件', file), submit,
      formStatus);
  };

  const renderDetail = (w) => {
    const evidence = w.evidence || {};
    const versions = Object.entries(evidence.versions || {}).map(([layer, v]) => `${layer} v${v}`).join('、');
    const subject = { patch: '监测图斑', project: '项目', indicator: '指标' }[w.subject_kind] || w.subject_kind;
    const target = evidence.target !== undefined && evidence.target !== null
      ? `${evidence.target} ${evidence.unit || ''}${evidence.target_year ? `(${evidence.target_year} 年)` : ''}` : '';
    const facts = [['规则', `${w.title}(${w.rule})`], ['等级', chip(w.level, state.colours)], ['行政区', w.region],
      ['对象', `${subject} ${w.subject_id}`], ['状态', w.state],
      ['说明', w.message], ['涉及面积', evidence.area_m2 !== undefined ? `${evidence.area_m2} 平方米` : ''],
      ['指标值', evidence.indicator ? `${evidence.indicator_name} ${evidence.value} ${evidence.unit || ''}(${evidence.period} 年)` : ''],
      ['规划目标', target], ['上限', evidence.limit !== undefined ? String(evidence.limit) : ''],
      ['图层版本', versions], ['规则版本', evidence.rule_version || ''], ['监测日期', w.patch?.observed_at || ''],
      ['来源', w.patch?.source || evidence.event || '']];
    const attachment = (e) => (e.attachment ? h('a', { href: `/api/warnings/${w.id}/attachments/${encodeURIComponent(e.attachment)}`,
      class: 'mon-attachment', download: '' }, e.attachment.slice(9)) : '');
    const events = (w.events || []).map((e) => [when(e.at), e.actor,
      e.from_state === e.to_state ? '等级调整' : `${e.from_state} → ${e.to_state}`, e.opinion, attachment(e)]);
    clear(detail, h('h4', {}, `预警 ${w.id}`),
      h('dl', { class: 'mon-facts' }, facts.filter(([, v]) => v !== '').flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
      h('h5', {}, '处置过程'), events.length ? table([zoned('时间'), '办理人', '状态', '意见', '附件'], events, { id: 'mon-events' })
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
      pending = setTimeout(() => load().then(() => status.info(`新预警:【${w.level}】${w.title}(${w.region})`))
        .then(() => board.refresh(region.value.trim())), 300);
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

  const sweepBar = progressBar('mon-sweep-progress');
  const sweepResult = h('p', { id: 'mon-sweep-result', class: 'muted', hidden: true });
  const sweepButton = h('button', { type: 'button', id: 'mon-sweep', title: '按指标规则与趋势规则,从“一张图”重新计算所监测的指标并生成预警',
    onclick: async () => {
      sweepButton.disabled = true;
      status.clear();
      try {
        const inputs = region.value.trim() ? { region: region.value.trim() } : {};
        const result = await runProcess('monitoring-sweep', inputs, sweepBar);
        sweepResult.hidden = false;
        sweepResult.textContent = `${result.period} 年巡检完成:${result.regions.length} 个行政区,新生成或升级预警 ${result.warnings.length} 条`;
        await load();
        await board.refresh(region.value.trim());
      } catch (error) {
        sweepBar.finish?.(false, error.message);
        status.error(error.message);
      } finally {
        sweepButton.disabled = false;
      }
    } }, '立即巡检');
  const board = indicatorBoard();

  for (const control of [level, rule, stateFilter]) control.addEventListener('change', load);
  region.addEventListener('change', () => board.refresh(region.value.trim()));
  region.addEventListener('change', load);

  const page = h('div', { class: 'business-page', id: 'monitoring-page' },
    h('div', { class: 'mon-head' }, summary, live),
    h('div', { class: 'filters' }, line('等级', level), line('规则', rule), line('状态', stateFilter), line('行政区', region),
      h('button', { type: 'button', id: 'mon-refresh', onclick: () => load().then(() => board.refresh(region.value.trim())) }, '刷新'), sweepButton,
      h('span', { class: 'mon-reports' }, '预警报告:', reportLink('pdf', 'PDF'), ' ', reportLink('docx', 'Word'))),
    sweepBar, sweepResult, status, list, detail, board, letters);
  page.refresh = async () => {
    try {
      await setUp();
    } catch (error) {
      status.error(error.message);
      return;
    }
    connect();
    await load();
    await board.refresh(region.value.trim());
  };
  return page;
}

export function installMonitoring({ panel, tabs, map }) {
  installTab({ panel, tabs }, 'monitoring', '监测预警', monitoringPage({ map }));
}

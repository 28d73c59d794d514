// 一张图 front end: wires the top bar (登录/退出), the 资源目录, the map and the right panel.
import { showTokens } from './tokens.js';
import 'ol/ol.css';
import './style.css';
import { transformExtent } from 'ol/proj.js';
import { extend as extendExtent, createEmpty, isEmpty } from 'ol/extent.js';
import { registerProjections } from './projections.js';
import { addBaseMap, createMap } from './map.js';
import { LayerManager } from './layers.js';
import { loadCatalog, renderCatalog } from './catalog.js';
import { renderLayerState, renderLayers } from './legend.js';
import { askLogin, askOwnPasswordChange, currentUser, isSignedIn, renderUser, signOut } from './auth.js';
import { installIdentify } from './identify.js';
import { locateTool } from './locate.js';
import { regionTool } from './region.js';
import { rightPanel } from './panel.js';
import { installQuery } from './query.js';
import { installCompare } from './compare.js';
import { resetUnits } from './units.js';
import { addTianditu, tiandituConfig } from './tianditu.js';
import { installThematic } from './thematic.js';
import { installDocuments } from './thematic_docs.js';
import { viewSwitch } from './viewswitch.js';
import * as viewcrs from './viewcrs.js';
import { installAdmin } from './admin/index.js';
import { installImports } from './pages/imports.js';
import { installCompliance } from './pages/compliance.js';
import { installQc } from './pages/qc.js';
import { installMonitoring } from './pages/monitoring.js';
import { installIndicators } from './pages/indicators.js';
import { installAssessment } from './pages/assessment.js';
import { installCarrying } from './pages/carrying.js';

const $ = (id) => document.getElementById(id);

registerProjections();
const { map, highlight } = createMap($('map'), $('statusbar'));
const manager = new LayerManager(map);
const panel = rightPanel($('rightbar'), () => setTimeout(() => map.updateSize(), 0));
const state = { user: null, entries: [], fitted: false };
manager.onChange(() => renderLayers($('layers'), manager));
manager.onState((item) => renderLayerState($('layers'), item));
const titleOf = (name) => state.entries.find((e) => e.name === name)?.title || name;

function catalogExtent(entries) {
  const extent = createEmpty();
  for (const entry of entries) {
    if (entry.extent && entry.epsg) extendExtent(extent, transformExtent(entry.extent, `EPSG:${entry.epsg}`, viewcrs.viewCode()));
  }
  return extent;
}

function resetLayers() {
  for (const [name] of manager.layers()) manager.toggle({ name }, false);
  for (const layer of [...map.getLayers().getArray()]) if (layer.get('base')) map.removeLayer(layer);
  highlight.clear();
  compareUi.stop();
  resetUnits();
  queryUi.select('browse');
}

async function refresh() {
  document.body.dataset.ready = '0';
  const tianditu = tiandituConfig(); // in parallel with the sign-in check; it also names the node's time zone
  state.user = await currentUser();
  await tianditu; // before any time is shown (localtime.js)
  renderUser($('user'), state.user, { onLogin: login, onLogout: logout, onPassword: changeOwnPassword,
    onTokens: () => showTokens($('login')) });
  await adminUi.refresh();
  state.entries = await loadCatalog();
  resetLayers();
  addBaseMap(map, new Set(state.entries.map((e) => e.name)));
  addTianditu(map, await tianditu, $('maptools'));
  crsSwitch.refresh(state.entries);
  renderCatalog($('catalog'), state.entries, manager);
  renderLayers($('layers'), manager);
  const extent = catalogExtent(state.entries);
  if (!state.fitted && !isEmpty(extent)) {
    map.getView().fit(extent, { padding: [20, 20, 20, 20] });
    state.fitted = true;
    // 首屏: time from navigation to the base map fully drawn (the issue's ≤ 2 s target)
    map.once('rendercomplete', () => { window.onemap.firstPaintMs = Math.round(performance.now()); });
  }
  document.body.dataset.user = isSignedIn(state.user) ? state.user.username : '';
  document.body.dataset.ready = '1';
}

async function reload() {
  try {
    await refresh();
  } catch (error) {
    $('statusbar').textContent = `加载失败:${error.message}`;
  }
}

async function login() {
  if (await askLogin($('login'))) await reload();
}

async function changeOwnPassword() {
  if (await askOwnPasswordChange($('login'), state.user)) await reload();
}

async function logout() {
  await signOut().catch(() => null);
  await reload();
}

const crsSwitch = viewSwitch();
$('maptools').append(crsSwitch, regionTool({ map, highlight }), locateTool({ map, highlight }));
installIdentify({ map, highlight, manager, panel, titleOf });
const queryUi = installQuery({ map, highlight, panel, tabs: $('tabs'), entries: () => state.entries });
const compareUi = installCompare({ map, panel, tabs: $('tabs'), entries: () => state.entries, mapwrap: $('mapwrap') });
installThematic({ panel, tabs: $('tabs'), entries: () => state.entries });
installDocuments({ panel, tabs: $('tabs'), entries: () => state.entries });
const adminUi = installAdmin({ tabs: $('tabs'), workspace: $('workspace') });

// 业务办理 pages (src/pages/): after an import only the 资源目录 reloads (the open page and the map stay).
async function reloadCatalog() {
  state.entries = await loadCatalog();
  renderCatalog($('catalog'), state.entries, manager);
}
const business = { panel, tabs: $('tabs'), entries: () => state.entries, map, highlight, reloadCatalog };
installImports(business);
installCompliance(business);
installQc(business);
installMonitoring(business);
installIndicators(business);
installAssessment(business);
installCarrying(business);

// Read by the end-to-end tests (pixel of a coordinate) and handy in the browser console.
window.onemap = { map, manager, viewcrs, ready: reload() };

// The layers switched on by the user (图层管理): order, opacity, version; listeners redraw the panels.
import VectorTileLayer from 'ol/layer/VectorTile.js';
import { vectorTileSource } from './tiles.js';
import { styleFor } from './styles.js';
import { onViewCrsChange } from './viewcrs.js';
import { watchTiles } from './tilestate.js';

export class LayerManager {
  constructor(map) {
    this.map = map;
    this.active = []; // top first
    this.listeners = [];
    this.stateListeners = [];
    // Tiles of another tile matrix set when the view CRS changes (vector tiles are not reprojected).
    onViewCrsChange(() => this.active.forEach((item) => this.setSource(item)));
  }

  /** `listener(item)` when a layer's loading state (item.state: {loading, error}) changes. */
  onState(listener) {
    this.stateListeners.push(listener);
  }

  setSource(item) {
    const source = vectorTileSource(item.entry.name, item.version);
    item.state = { loading: false, error: '' };
    watchTiles(source, (state) => {
      if (item.layer.getSource() !== source) return; // an older source of the layer
      item.state = state;
      this.stateListeners.forEach((listener) => listener(item));
    });
    item.layer.setSource(source);
  }

  onChange(listener) {
    this.listeners.push(listener);
  }

  changed() {
    this.active.forEach((item, i) => item.layer.setZIndex(this.active.length - i));
    this.listeners.forEach((listener) => listener(this.active));
  }

  find(name) {
    return this.active.find((item) => item.entry.name === name);
  }

  toggle(entry, on) {
    const existing = this.find(entry.name);
    if (on && !existing) {
      const layer = new VectorTileLayer({ style: styleFor(entry.name), properties: { name: entry.name }, renderMode: 'hybrid' });
      const item = { entry, layer, version: null };
      this.setSource(item);
      this.map.addLayer(layer);
      this.active.unshift(item);
    } else if (!on && existing) {
      this.map.removeLayer(existing.layer);
      this.active = this.active.filter((item) => item !== existing);
    }
    this.changed();
  }

  setVersion(name, version) {
    const item = this.find(name);
    if (!item) return;
    item.version = version === item.entry.version ? null : version;
    this.setSource(item);
    this.changed();
  }

  setOpacity(name, opacity) {
    this.find(name)?.layer.setOpacity(opacity);
  }

  move(name, step) {
    const i = this.active.findIndex((item) => item.entry.name === name);
    const j = i + step;
    if (i < 0 || j < 0 || j >= this.active.length) return;
    [this.active[i], this.active[j]] = [this.active[j], this.active[i]];
    this.changed();
  }

  /** Active layers top first, as [name, OpenLayers layer]. */
  layers() {
    return this.active.map((item) => [item.entry.name, item.layer]);
  }
}

// 空间范围: draw a rectangle or polygon on the map; its WKT (lon lat, CRS84 = the API's default
// filter-crs) becomes an S_INTERSECTS condition of the query.
import Draw, { createBox } from 'ol/interaction/Draw.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import WKT from 'ol/format/WKT.js';
import { Fill, Stroke, Style } from 'ol/style.js';

export function drawTool(map) {
  const source = new VectorSource();
  map.addLayer(new VectorLayer({ source, zIndex: 999, style: new Style({
    stroke: new Stroke({ color: '#ff6d00', width: 2, lineDash: [8, 4] }), fill: new Fill({ color: 'rgba(255,109,0,0.08)' }),
  }) }));
  let interaction = null;
  const stop = () => {
    if (interaction) map.removeInteraction(interaction);
    interaction = null;
    map.set('drawing', false);
  };
  return {
    /** Draw a 'box' or a 'polygon'; `onDone` runs when it is finished. */
    start(kind, onDone) {
      stop();
      source.clear();
      interaction = new Draw({ source, stopClick: true, type: kind === 'box' ? 'Circle' : 'Polygon',
        geometryFunction: kind === 'box' ? createBox() : undefined });
      interaction.on('drawend', () => setTimeout(() => { stop(); onDone?.(); }, 0));
      map.addInteraction(interaction);
      map.set('drawing', true);
    },
    clear() {
      stop();
      source.clear();
    },
    /** The drawn shape as WKT, or null. */
    wkt() {
      const feature = source.getFeatures()[0];
      return feature ? new WKT().writeGeometry(feature.getGeometry(), { decimals: 7 }) : null;
    },
  };
}

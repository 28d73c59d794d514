// 空间范围: draw a point, a line, a rectangle or a polygon on the map; its WKT (in the API form of the view
// CRS: lon lat in CRS84, or X Y of the GK zone with that filter-crs, see viewcrs.js) becomes an
// S_INTERSECTS condition, or S_DWITHIN with a buffer distance in metres.
import Draw, { createBox } from 'ol/interaction/Draw.js';
import VectorLayer from 'ol/layer/Vector.js';
import VectorSource from 'ol/source/Vector.js';
import { Circle, Fill, Stroke, Style } from 'ol/style.js';
import { GEOGRAPHIC } from './projections.js';
import { apiWkt, onViewCrsChange, viewCode } from './viewcrs.js';

const TYPES = { point: 'Point', line: 'LineString', box: 'Circle', polygon: 'Polygon' };

export function drawTool(map) {
  const source = new VectorSource();
  const stroke = new Stroke({ color: '#ff6d00', width: 2, lineDash: [8, 4] });
  map.addLayer(new VectorLayer({ source, zIndex: 999, style: new Style({
    stroke, fill: new Fill({ color: 'rgba(255,109,0,0.08)' }),
    image: new Circle({ radius: 6, stroke: new Stroke({ color: '#ff6d00', width: 2 }), fill: new Fill({ color: 'rgba(255,109,0,0.3)' }) }),
  }) }));
  let interaction = null;
  let kind = null;
  onViewCrsChange((next, previous) => {
    for (const feature of source.getFeatures()) feature.getGeometry().transform(previous.code, next.code);
  });
  const stop = () => {
    if (interaction) map.removeInteraction(interaction);
    interaction = null;
    map.set('drawing', false);
  };
  return {
    /** Draw a 'point', 'line', 'box' or 'polygon'; `onDone` runs when it is finished. */
    start(shape, onDone) {
      stop();
      source.clear();
      kind = shape;
      interaction = new Draw({ source, stopClick: true, type: TYPES[shape],
        geometryFunction: shape === 'box' ? createBox() : undefined });
      interaction.on('drawend', () => setTimeout(() => { stop(); onDone?.(); }, 0));
      map.addInteraction(interaction);
      map.set('drawing', true);
    },
    clear() {
      stop();
      source.clear();
      kind = null;
    },
    /** The kind of the drawn shape ('point', 'line', 'box', 'polygon'), or null. */
    kind() {
      return source.getFeatures().length ? kind : null;
    },
    /** The drawn shape as an OpenLayers geometry in EPSG:4490 (a copy), or null. */
    geometry() {
      const geometry = source.getFeatures()[0]?.getGeometry();
      return geometry ? geometry.clone().transform(viewCode(), GEOGRAPHIC) : null;
    },
    /** The drawn shape as WKT for the API in the view CRS (see viewcrs.apiCrsParams), or null. */
    wkt() {
      const feature = source.getFeatures()[0];
      return feature ? apiWkt(feature.getGeometry()) : null;
    },
  };
}

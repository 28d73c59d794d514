// Vector tiles in the 天地图 'c' grid (OGC TileMatrixSet CGCS2000Quad): EPSG:4490, origin (−180, 90),
// level 1 = 2×1 tiles of 256 px at 0.703125°/px, each level halving the cell size.
import TileGrid from 'ol/tilegrid/TileGrid.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import MVT from 'ol/format/MVT.js';
import { queuedFetch } from './fetchq.js';

export const TMS = 'CGCS2000Quad';
export const MAX_ZOOM = 20;
export const RESOLUTIONS = Array.from({ length: MAX_ZOOM + 1 }, (_, z) => 1.40625 / 2 ** z);

export const grid = new TileGrid({ extent: [-180, -90, 180, 90], origin: [-180, 90], resolutions: RESOLUTIONS,
  tileSize: 256, minZoom: 1 });

/**
 * A source of one layer's MVT tiles (204 = empty tile); `version` pins a past version; `maxZoom` makes
 * deeper levels reuse (overzoom) the tiles of that level — fewer requests for a base map.
 */
export function vectorTileSource(layer, version, maxZoom = MAX_ZOOM) {
  const format = new MVT();
  const tileGrid = maxZoom === MAX_ZOOM ? grid : new TileGrid({ extent: [-180, -90, 180, 90], origin: [-180, 90],
    resolutions: RESOLUTIONS.slice(0, maxZoom + 1), tileSize: 256, minZoom: 1 });
  return new VectorTileSource({
    format, tileGrid, projection: 'EPSG:4490',
    url: `/ogc/collections/${encodeURIComponent(layer)}/tiles/${TMS}/{z}/{y}/{x}${version ? `?version=${version}` : ''}`,
    tileLoadFunction(tile, url) {
      tile.setLoader(async (extent, resolution, projection) => {
        try {
          const response = await queuedFetch(url);
          if (response.status === 204) {
            tile.setFeatures([]);
            return;
          }
          if (!response.ok) throw new Error(String(response.status));
          const features = format.readFeatures(await response.arrayBuffer(),
            { extent, featureProjection: projection });
          tile.setFeatures(features);
        } catch {
          tile.setState(3); // TileState.ERROR
        }
      });
    },
  });
}

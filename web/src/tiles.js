// Vector tiles in the tile matrix set of the view CRS (viewcrs.js):
// * 经纬度 view: the 天地图 'c' grid (OGC TileMatrixSet CGCS2000Quad): EPSG:4490, origin (−180, 90),
//   level 1 = 2×1 tiles of 256 px at 0.703125°/px, each level halving the cell size;
// * GK view: the zone's grid (GK3Zone39Quad …, onemap/services/tiles/data/grids.toml): 2048 m/px at
//   level 0 halving to 0.25 m/px at level 13, origin 1 048 576 m west of the false origin and
//   10 485 760 m north of the equator.
import TileGrid from 'ol/tilegrid/TileGrid.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import MVT from 'ol/format/MVT.js';
import { dropQueued, queuedFetch } from './fetchq.js';
import { onViewCrsChange, viewCode, viewZone } from './viewcrs.js';

export const TMS = 'CGCS2000Quad';
export const MAX_ZOOM = 20;
export const RESOLUTIONS = Array.from({ length: MAX_ZOOM + 1 }, (_, z) => 1.40625 / 2 ** z);

// The server's GK grids (grids.toml [gauss_kruger]); the view may zoom 3 levels deeper (overzoom).
const GK = { cell0: 2048, tile: 256, maxLevel: 13, columnsWest: 2, columnsEast: 2, rowsNorth: 20, viewExtra: 3 };
const GK_RESOLUTIONS = Array.from({ length: GK.maxLevel + GK.viewExtra + 1 }, (_, z) => GK.cell0 / 2 ** z);

// Tiles of the previous projection still waiting in the queue are not wanted any more.
onViewCrsChange(dropQueued);

export const grid = new TileGrid({ extent: [-180, -90, 180, 90], origin: [-180, 90], resolutions: RESOLUTIONS,
  tileSize: 256, minZoom: 1 });

function gkGrid(zone, maxZoom) {
  const span = GK.cell0 * GK.tile;
  const west = zone.falseEasting - GK.columnsWest * span;
  const north = GK.rowsNorth * span;
  return new TileGrid({ extent: [west, 0, west + (GK.columnsWest + GK.columnsEast) * span, north],
    origin: [west, north], resolutions: GK_RESOLUTIONS.slice(0, Math.min(maxZoom, GK.maxLevel) + 1), tileSize: GK.tile });
}

/** The view's resolutions for the view CRS (degrees or metres per pixel). */
export function viewResolutions() {
  return viewZone() ? GK_RESOLUTIONS : RESOLUTIONS;
}

/** Tile matrix set id and tile grid for the view CRS, tiles of levels above `maxZoom` overzoomed. */
export function viewTiling(maxZoom = MAX_ZOOM) {
  const zone = viewZone();
  if (zone) return { tms: zone.tms, tileGrid: gkGrid(zone, maxZoom) };
  const tileGrid = maxZoom >= MAX_ZOOM ? grid : new TileGrid({ extent: [-180, -90, 180, 90], origin: [-180, 90],
    resolutions: RESOLUTIONS.slice(0, maxZoom + 1), tileSize: 256, minZoom: 1 });
  return { tms: TMS, tileGrid };
}

/**
 * A source of one layer's MVT tiles in the view CRS (204 = empty tile); `version` pins a past version;
 * `maxZoom` (a 经纬度 level) makes deeper levels reuse (overzoom) that level's tiles — fewer requests for
 * a base map; in a GK view the level of the same cell size is used.
 */
export function vectorTileSource(layer, version, maxZoom = MAX_ZOOM) {
  const format = new MVT();
  // CGCS2000Quad level z ≈ 156 543 m/px / 2^z at the equator; GK level g = 2048 m/px / 2^g → g ≈ z − 6.
  const { tms, tileGrid } = viewTiling(viewZone() && maxZoom < MAX_ZOOM ? maxZoom - 6 : maxZoom);
  const source = new VectorTileSource({
    format, tileGrid, projection: viewCode(),
    url: `/ogc/collections/${encodeURIComponent(layer)}/tiles/${tms}/{z}/{y}/{x}${version ? `?version=${version}` : ''}`,
    tileLoadFunction(tile, url) {
      tile.setLoader(async (extent, resolution, projection) => {
        try {
          const response = await queuedFetch(url);
          if (response.status === 204) {
            tile.setFeatures([]);
            return;
          }
          if (!response.ok) throw Object.assign(new Error('tile'), { status: response.status });
          const features = format.readFeatures(await response.arrayBuffer(),
            { extent, featureProjection: projection });
          tile.setFeatures(features);
        } catch (error) {
          source.set('tileError', error.status ?? 0); // 0: no answer (network), read by tilestate.js
          tile.setState(3); // TileState.ERROR
        }
      });
    },
  });
  return source;
}

/** The view zoom level of a 经纬度 (CGCS2000Quad) level in the view CRS: about the same map scale. */
export function viewZoom(level) {
  return viewZone() ? Math.max(0, level - 6) : level;
}

"""OGC API (Common, Features 1–3, Tiles, Records) and WMTS 1.0.0, under ``/ogc``."""

"""Geometry: CRS policy (CGCS2000), 三调 ellipsoid area, and guards before GEOS."""

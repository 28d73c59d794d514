"""GDAL hardening that must happen before GDAL is loaded.

A ``.vrt`` file inside an upload (even renamed to ``.geojson``) lets GDAL open arbitrary files
of the server, so the VRT drivers are skipped for the whole process. GDAL reads ``GDAL_SKIP`` when
it registers its drivers, i.e. when pyogrio is first imported; setting it later has no effect.
"""

import os

_SKIPPED_DRIVERS = ("VRT", "OGR_VRT")


def _harden() -> None:
    skip = [d for d in os.environ.get("GDAL_SKIP", "").replace(",", " ").split() if d]
    for driver in _SKIPPED_DRIVERS:
        if driver not in skip:
            skip.append(driver)
    os.environ["GDAL_SKIP"] = " ".join(skip)
    # Never let GDAL fetch remote files named inside a dataset.
    os.environ.setdefault("GDAL_HTTP_TIMEOUT", "5")
    os.environ["CPL_VSIL_CURL_ALLOWED_EXTENSIONS"] = ".onemap-none"
    os.environ["GDAL_DISABLE_READDIR_ON_OPEN"] = "EMPTY_DIR"
    # Shapefiles without .shx must be an error, not silently rebuilt.
    os.environ["SHAPE_RESTORE_SHX"] = "NO"


_harden()

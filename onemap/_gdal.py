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


def _gdal_library():
    """The GDAL library pyogrio loaded (its bundled copy, else the system one), through ctypes."""
    import ctypes
    import ctypes.util
    import glob

    import pyogrio

    bundled = glob.glob(os.path.join(os.path.dirname(pyogrio.__file__) + ".libs", "libgdal*"))
    path = bundled[0] if bundled else ctypes.util.find_library("gdal")
    if not path:
        return None
    library = ctypes.CDLL(path)  # the already-loaded library: dlopen returns the same handle
    library.GDALGetDriverByName.restype = ctypes.c_void_p
    library.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
    library.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    library.GDALDestroyDriver.argtypes = [ctypes.c_void_p]
    return library


def deregister_vrt_drivers() -> None:
    """Remove the VRT drivers from a GDAL that was loaded before onemap (e.g. geopandas imported first).

    ``GDAL_SKIP`` only works before GDAL registers its drivers; this undoes a registration afterwards.
    """
    library = _gdal_library()
    if library is None:
        return
    for name in _SKIPPED_DRIVERS:
        handle = library.GDALGetDriverByName(name.encode())
        if handle:
            library.GDALDeregisterDriver(handle)
            library.GDALDestroyDriver(handle)

"""onemap: 国土空间规划“一张图” — platform (国土空间基础信息平台) and supervision system.

Importing the package first hardens GDAL (see :mod:`onemap._gdal`) so that no later import of
pyogrio can load the VRT drivers.
"""

from onemap import _gdal  # noqa: F401  (must run before pyogrio is imported anywhere)

__version__ = "0.1.0"

"""空间分析: overlay area matrices (叠加分析) and grouped area statistics (查询统计), no web.

The API's processes, the CLI and the web app's comparison view call these functions; every area is the
三调 ellipsoid area (:func:`onemap.geometry.area.ellipsoid_area`).
"""

from onemap.analysis.export import to_xlsx
from onemap.analysis.overlay import Matrix, OverlayResult, overlay_matrix
from onemap.analysis.statistics import StatisticsResult, area_statistics

__all__ = ["Matrix", "OverlayResult", "StatisticsResult", "area_statistics", "overlay_matrix", "to_xlsx"]

"""体检评估 (S4.3): for a region and year, every TD/T 1063 indicator computed from the one map or reported by
departments, compared with its 规划目标值 and earlier years (达标 / 预警 / 未达标), a 体检评估报告 (DOCX and PDF
with charts and a map) and an export package for the upper node.

The criteria are data (``data/criteria.csv``, ``data/grading.yaml``; a province adds ``assessment*.yaml``);
the CLI (``onemap assess``), the OGC API process ``assessment`` and ``/api/assessment`` call the same functions.
"""

from onemap.assessment.criteria import CriteriaError, Grading, load_grading
from onemap.assessment.model import Assessment, IndicatorAssessment
from onemap.assessment.service import assess

__all__ = ["Assessment", "CriteriaError", "Grading", "IndicatorAssessment", "assess", "load_grading"]

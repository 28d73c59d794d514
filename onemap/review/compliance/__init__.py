"""项目合规性审查 (S7): check a construction project's boundary against the control lines and land use.

``check_project(store, boundary)`` returns the stable ``result.json`` dict; :mod:`.report` writes the
PDF and Word reports; :mod:`.history` keeps results and feedback per project id in the records database;
:mod:`.process` is the OGC API process ``compliance-review``.
"""

from onemap.review.compliance.boundary import ProjectBoundary, load_boundary
from onemap.review.compliance.context import ReviewContext
from onemap.review.compliance.history import add_feedback, project_history, save_result
from onemap.review.compliance.rules import load_rules
from onemap.review.compliance.service import check_project, review_project

__all__ = ["ProjectBoundary", "ReviewContext", "add_feedback", "check_project", "load_boundary", "load_rules",
           "project_history", "review_project", "save_result"]

"""成果质检: a declarative QC engine for 三调 and planning databases, with Chinese reports.

Rules are data (``onemap/qc/data/<ruleset>.yaml`` plus a province's files in ``ONEMAP_QC_EXTRA``);
checks are small functions registered with :func:`onemap.qc.registry.rule`.
"""

from onemap.qc.engine import check_path, check_store, run_qc
from onemap.qc.model import Finding, QCResult, RuleSpec
from onemap.qc.registry import rule
from onemap.qc.rulesets import load_ruleset

__all__ = ["Finding", "QCResult", "RuleSpec", "check_path", "check_store", "load_ruleset", "rule", "run_qc"]

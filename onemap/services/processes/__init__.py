"""OGC API Processes without the web: the registry of processes, jobs in the records database, the runner.

Each function service (查询统计, 叠加分析, later 质检 and 合规性审查) is a :class:`Process` registered in
:mod:`registry` (plug-ins through the entry-point group ``onemap.processes``). :mod:`jobs` keeps every
execution as a row of the ``jobs`` table; :class:`JobRunner` executes them on worker threads and
recovers unfinished ones after a restart.
"""

from onemap.services.processes.access import authorize
from onemap.services.processes.jobs import Job, create_job, dismiss_job, get_job, list_jobs, load_job
from onemap.services.processes.model import Process, RunContext
from onemap.services.processes.registry import ENTRY_POINT_GROUP, get_process, list_processes, register
from onemap.services.processes.runner import JobRunner

__all__ = ["ENTRY_POINT_GROUP", "Job", "JobRunner", "Process", "RunContext", "authorize", "create_job",
           "dismiss_job", "get_job", "get_process", "list_jobs", "list_processes", "load_job", "register"]

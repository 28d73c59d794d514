"""Running a map and logging it: synchronously in the caller's thread, or handed to the job runner.

The API decides which (:func:`needs_job`); both paths leave one row in the task log whose outputs name
the folder (under the node's data directory) holding ``map.png`` and ``map.pdf``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from onemap.cartography import tasklog
from onemap.cartography.config import map_settings
from onemap.cartography.request import MapRequest
from onemap.errors import NotFoundError, OnemapError
from onemap.services.processes import jobs
from onemap.store import Store

FILES = {"png": ("map.png", "image/png"), "pdf": ("map.pdf", "application/pdf")}
REGION_DIGITS_SYNC = 9  # a township or village map is always small enough to answer at once


def needs_job(store: Store, request: MapRequest) -> bool:
    """Whether a map is big enough to run as a job: a wide region over layers with many features."""
    region = request.region if request.region is not None else request.template.region
    if region and len(region) >= REGION_DIGITS_SYNC:
        return False
    total = sum(store.entry(layer.name).current.feature_count for layer in request.template.layers)
    return total > map_settings().sync_feature_limit


def run_now(store: Store, records: Engine, run: tasklog.RunRecord, request: MapRequest,
            data_dir: Path) -> tasklog.RunRecord:
    """Render a logged run in this thread into ``<data_dir>/maps/<run id>`` and record its end."""
    from onemap.cartography.render import render_map  # matplotlib loads on the first map

    folder = f"maps/{run.id}"
    try:
        result = render_map(store, request, Path(data_dir) / folder)
    except OnemapError as error:
        tasklog.finish_run(records, run.id, status=tasklog.FAILED, message=error.message_zh)
        raise
    except Exception:
        tasklog.finish_run(records, run.id, status=tasklog.FAILED, message="制图失败:服务内部错误")
        raise
    tasklog.finish_run(records, run.id, status=tasklog.SUCCESSFUL, outputs={"dir": folder, **result.summary()},
                       message="制图完成")
    return tasklog.get_run(records, run.id, owner=run.owner)


def job_inputs(request: MapRequest) -> dict[str, Any]:
    """The ``thematic-map`` process inputs of a request."""
    inputs: dict[str, Any] = {"template": request.template.model_dump(mode="json"),
                              "layers": sorted({layer.name for layer in request.template.layers}),
                              "versions": request.versions}
    region = request.region if request.region is not None else request.template.region
    if region:
        inputs["region"] = region
    if request.as_of:
        inputs["as_of"] = request.as_of.isoformat()
    return inputs


def sync_with_job(records: Engine, run: tasklog.RunRecord) -> tasklog.RunRecord:
    """A running run carried by a job takes the job's end (outputs or failure) once the job has one."""
    if run.status != tasklog.RUNNING or not run.job_id:
        return run
    job = jobs.load_job(records, run.job_id)
    if job.status == jobs.SUCCESSFUL:
        summary = (job.outputs or {}).get("summary", {})
        tasklog.finish_run(records, run.id, status=tasklog.SUCCESSFUL, outputs={"dir": f"jobs/{job.id}", **summary},
                           message="制图完成")
    elif job.status in (jobs.FAILED, jobs.DISMISSED):
        tasklog.finish_run(records, run.id, status=tasklog.FAILED, message=job.message or "任务已撤销")
    else:
        return run
    return tasklog.get_run(records, run.id, owner=run.owner)


def output_path(data_dir: Path, run: tasklog.RunRecord, kind: str) -> tuple[Path, str, str]:
    """The file of a successful run's output ``kind`` (png/pdf): path, media type, download name."""
    if kind not in FILES or run.status != tasklog.SUCCESSFUL or not run.outputs:
        raise NotFoundError(f"制图结果不存在:{kind}", f"run {run.id} has no {kind}")
    name, media = FILES[kind]
    path = Path(data_dir) / run.outputs["dir"] / name
    if not path.is_file():
        raise NotFoundError(f"制图结果文件不存在:{kind}", f"missing {path}")
    title = run.template.get("title", "专题图").replace("{region}", "").replace("{区域}", "") or "专题图"
    return path, media, f"{title}.{kind}"

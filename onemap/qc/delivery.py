"""成果质检 of an uploaded delivery (交付成果): the upload is kept in its job's folder until the job has run.

``submit_delivery`` records a ``qc`` job whose ``delivery`` input names the stored file
(``delivery.zip`` …, never the client's file name, which may be hostile), then writes the upload to
``<jobs root>/<job id>/delivery/``. The ``qc`` process finds it there with :func:`delivery_path`, reads
it through the guarded reader of imports (zip slip, bombs, VRT, links are refused and become findings)
and removes it when the job ends, so a node does not keep every delivery twice. A server restarted
while the job ran re-runs it from the same file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Engine

from onemap.errors import InputError, NotFoundError
from onemap.ingest.encoding import normalise_encoding
from onemap.qc.rulesets import available
from onemap.security import clock
from onemap.services.processes import jobs

SUFFIXES = (".zip", ".tar", ".tgz", ".tar.gz", ".gpkg", ".geojson", ".json")
FOLDER = "delivery"
_STEM = "delivery"
_STORED = re.compile(r"^delivery\.(zip|tar|tgz|tar\.gz|gpkg|geojson|json)$")
_CHUNK = 1024 * 1024


def stored_name(filename: str) -> str:
    """The name the upload is stored under: ``delivery`` + the accepted suffix of the client's name."""
    lowered = filename.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):  # .tar.gz before .gz-less .tar
        if lowered.endswith(suffix):
            return f"{_STEM}{suffix}"
    raise InputError(f"不支持的上传文件类型,请上传 {'、'.join(SUFFIXES)}", f"bad QC upload name {filename!r}")


def delivery_inputs(filename: str, ruleset: str, encoding: str | None) -> dict[str, Any]:
    """The ``qc`` process inputs for an upload named ``filename`` (checked: ruleset, type, encoding)."""
    if ruleset not in available():
        raise InputError(f"未知的质检规则集“{ruleset}”,可选:{'、'.join(available())}", f"bad ruleset {ruleset!r}")
    inputs: dict[str, Any] = {"ruleset": ruleset, "delivery": stored_name(filename),
                              "title": Path(filename.replace("\\", "/")).name[:200] or "上传数据"}
    if encoding:
        inputs["encoding"] = normalise_encoding(encoding)
    return inputs


def submit_delivery(records: Engine, jobs_root: Path, upload: BinaryIO, inputs: dict[str, Any], *,
                    owner: str) -> jobs.Job:
    """Record an ``accepted`` qc job and store the upload in its folder (the caller queues the job).

    If the upload cannot be stored, the job is marked failed and its folder removed before re-raising.
    """
    job = jobs.create_job(records, process="qc", inputs=inputs, owner=owner)
    folder = Path(jobs_root) / job.id / FOLDER
    try:
        folder.mkdir(parents=True)
        with (folder / inputs["delivery"]).open("wb") as target:
            shutil.copyfileobj(upload, target, length=_CHUNK)
    except BaseException:
        jobs.update_job(records, job.id, status=jobs.FAILED, message="上传数据保存失败", finished=clock.now())
        shutil.rmtree(folder.parent, ignore_errors=True)
        raise
    return job


def delivery_path(out_dir: Path, name: object) -> Path:
    """The stored upload of a job (``name`` is the ``delivery`` input: only the names we store are accepted)."""
    if not isinstance(name, str) or not _STORED.match(name):
        raise InputError("输入参数 delivery 不合法", f"bad delivery input {str(name)[:80]!r}")
    path = Path(out_dir) / FOLDER / name
    if not path.is_file():
        raise NotFoundError("未找到上传的数据(请通过 /api/qc 上传待检数据)", f"no uploaded delivery at {path}")
    return path


def remove_delivery(out_dir: Path) -> None:
    """Delete a job's stored upload (its results stay)."""
    shutil.rmtree(Path(out_dir) / FOLDER, ignore_errors=True)

"""审查记录: results stored by project id, and feedback from other systems (审批、登记、执法) in its history.

The records database would need a migration owned elsewhere, so results live as files:
``<data_dir>/projects/<id>/result-<time>-<nonce>.json`` (every review kept, ``result.json`` the latest)
and an append-only ``history.jsonl`` with one line per review or feedback.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from onemap.config import get_settings
from onemap.errors import InputError, NotFoundError

FEEDBACK_KINDS = ("审批", "登记", "执法")
_ID = re.compile(r"[\w-][\w.-]{0,63}")


def project_dir(project_id: str, root: Path | None = None) -> Path:
    """The folder of a project's records (``<data_dir>/projects/<id>``)."""
    if not _ID.fullmatch(project_id or ""):
        raise InputError(f"项目编号不合法:{project_id}", f"bad project id {project_id!r}")
    return (root or get_settings().data_dir / "projects") / project_id


def _append(folder: Path, entry: dict[str, Any]) -> None:
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    with open(folder / "history.jsonl", "a", encoding="utf-8") as handle:  # O_APPEND: one line, one write
        handle.write(line)
        handle.flush()
        os.fsync(handle.fileno())


def save_result(result: dict[str, Any], *, root: Path | None = None) -> Path:
    """Store a review result under its project id and note it in the history; returns the result file."""
    folder = project_dir(result["project"]["id"], root)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = folder / f"result-{stamp}-{uuid.uuid4().hex[:6]}.json"  # unique: concurrent reviews never collide
    text = json.dumps(result, ensure_ascii=False, indent=2)
    path.write_text(text, encoding="utf-8")
    (folder / "result.json").write_text(text, encoding="utf-8")
    _append(folder, {"time": datetime.now(UTC).isoformat(timespec="seconds"), "kind": "审查",
                     "result": result["result"], "file": path.name, "store_version": result["store_version"]})
    return path


def add_feedback(project_id: str, kind: str, payload: dict[str, Any], *, root: Path | None = None) -> dict[str, Any]:
    """Append feedback of another system (``kind``: 审批|登记|执法) to a reviewed project's history."""
    if kind not in FEEDBACK_KINDS:
        raise InputError(f"反馈类型须为 {'、'.join(FEEDBACK_KINDS)}:{kind}", f"bad feedback kind {kind!r}")
    folder = project_dir(project_id, root)
    if not (folder / "history.jsonl").exists():
        raise NotFoundError(f"没有项目 {project_id} 的审查记录", f"no project {project_id}")
    try:
        json.dumps(payload, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputError("反馈内容须为 JSON 对象", f"payload not JSON: {exc}") from None
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "kind": kind, "payload": payload}
    _append(folder, entry)
    return entry


def project_history(project_id: str, *, root: Path | None = None) -> list[dict[str, Any]]:
    """Every review and feedback of a project, oldest first."""
    path = project_dir(project_id, root) / "history.jsonl"
    if not path.exists():
        raise NotFoundError(f"没有项目 {project_id} 的审查记录", f"no project {project_id}")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

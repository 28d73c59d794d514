"""处置附件: the file of a warning's state change (核实照片、整改通知、销号材料), kept under ``warnings/<id>/``.

A file is checked as documents are (type by suffix and magic number: DOCX, XLSX, PDF, PNG, JPEG) and stored
under a name of the server's (a random prefix and the sanitised original name), so an upload never chooses
a path. :func:`handle_with_file` writes the file, then records the state change in the caller's
transaction; if the change is refused the file is removed: no orphan, no change without its file.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from onemap.documents.library import check_document
from onemap.errors import InputError, NotFoundError
from onemap.monitoring import warnings as service
from onemap.security import SecuritySettings, User

MAX_ATTACHMENT_BYTES = 20 * 1024**2
_UNSAFE = re.compile(r"[\x00-\x1f\\/:*?\"<>|]+")
PREFIX_LENGTH = 9  # "1a2b3c4d-": what :func:`original_name` takes off


def folder_of(data_dir: Path, warning_id: int) -> Path:
    return Path(data_dir) / "warnings" / str(int(warning_id))


def stored_name(filename: str, suffix: str) -> str:
    """A server-chosen file name keeping what a reader recognises of the original."""
    stem = _UNSAFE.sub("_", Path(filename.replace("\\", "/")).stem).strip(" .")[:80] or "附件"
    return f"{uuid.uuid4().hex[:8]}-{stem}{suffix}"


def original_name(stored: str) -> str:
    return stored[PREFIX_LENGTH:]


def handle_with_file(records: Engine, data_dir: Path, user: User, warning_id: int, to_state: str, *,
                     opinion: str, filename: str, content: bytes, ip: str = "",
                     security: SecuritySettings | None = None) -> dict[str, Any]:
    """A state change with its attachment, both or neither."""
    kind = check_document(filename, content)
    if len(content) > MAX_ATTACHMENT_BYTES:
        raise InputError(f"附件超过 {MAX_ATTACHMENT_BYTES // 1024**2} MB", f"attachment of {len(content)} bytes")
    with records.connect() as conn:
        service.warning_detail(conn, user, warning_id, security=security)  # 404 before anything is written
    name = stored_name(filename, kind["suffix"])
    path = folder_of(data_dir, warning_id) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    try:
        with records.begin() as conn:
            return service.transition(conn, user, warning_id, to_state, opinion=opinion, attachment=name, ip=ip,
                                      security=security)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def attachment_path(records: Engine, data_dir: Path, user: User, warning_id: int, name: str, *,
                    security: SecuritySettings | None = None) -> Path:
    """The file of an attachment the caller may read (the warning's visibility decides); NotFoundError else."""
    with records.connect() as conn:
        detail = service.warning_detail(conn, user, warning_id, security=security)
    if name not in {e["attachment"] for e in detail.get("events", []) if e.get("attachment")}:
        raise NotFoundError(f"预警 {warning_id} 没有附件“{name}”", f"no attachment {name!r}")
    path = folder_of(data_dir, warning_id) / name
    if not path.is_file():
        raise NotFoundError(f"附件“{original_name(name)}”的文件已不存在", f"attachment file {path} missing")
    return path

"""Attaching documents to catalog entries and finding them again."""

from __future__ import annotations

import csv
import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Engine

from onemap.errors import InputError, NotFoundError
from onemap.records.tables import documents

MAX_BYTES = 100 * 1024**2  # one plan text or drawing; a whole delivery goes through the import instead


@dataclass
class Document:
    """One attached document."""

    id: str
    layer: str
    title: str
    filename: str
    media_type: str
    kind: str  # docx | xlsx | file | image
    size: int
    sha256: str
    owner: str
    created: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"id": self.id, "layer": self.layer, "title": self.title, "filename": self.filename,
                "media_type": self.media_type, "kind": self.kind, "size": self.size, "sha256": self.sha256,
                "owner": self.owner, "created": self.created.isoformat()}


@lru_cache
def document_types() -> dict[str, dict[str, str]]:
    """Accepted file suffixes with their media type and how they are viewed (``data/document_types.csv``)."""
    text = resources.files("onemap.documents").joinpath("data", "document_types.csv").read_text(encoding="utf-8")
    return {row["suffix"]: row for row in csv.DictReader(text.splitlines())}


def _type_of(filename: str) -> dict[str, str]:
    suffix = Path(filename).suffix.lower()
    kinds = document_types()
    if suffix not in kinds:
        raise InputError(f"不支持的文档类型“{suffix or filename}”,可上传 {'、'.join(kinds)}",
                         f"unsupported document {filename!r}")
    return {**kinds[suffix], "suffix": suffix}


def _check_content(content: bytes, kind: str) -> None:
    if not content:
        raise InputError("文档为空", "empty document")
    if len(content) > MAX_BYTES:
        raise InputError(f"文档超过 {MAX_BYTES // 1024**2} MB", f"document of {len(content)} bytes")
    magic = {"docx": b"PK\x03\x04", "xlsx": b"PK\x03\x04", "file": b"%PDF"}
    if kind in magic and not content.startswith(magic[kind]):
        raise InputError("文档内容与扩展名不符", f"{kind} without its signature")


def check_document(filename: str, content: bytes) -> dict:
    """The document type of ``filename`` after checking ``content`` (InputError in Chinese otherwise)."""
    kind = _type_of(filename)
    _check_content(content, kind["kind"])
    return kind


def attach(engine: Engine, data_dir: Path, *, layer: str, filename: str, content: bytes, owner: str,
           title: str = "") -> Document:
    """Store ``content`` as a document of ``layer`` (file first, then its record; a failed record removes it)."""
    kind = check_document(filename, content)
    doc_id = str(uuid.uuid4())
    path = Path(data_dir) / "documents" / f"{doc_id}{kind['suffix']}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    try:
        with engine.begin() as conn:
            conn.execute(documents.insert().values(
                id=doc_id, layer=layer, title=(title or Path(filename).stem)[:200], filename=Path(filename).name[:255],
                media_type=kind["media_type"], kind=kind["kind"], size=len(content),
                sha256=hashlib.sha256(content).hexdigest(), owner=owner, created=datetime.now(UTC)))
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return get_document(engine, doc_id)


def _row(row: sa.Row) -> Document:
    return Document(row.id, row.layer, row.title, row.filename, row.media_type, row.kind, row.size, row.sha256,
                    row.owner, row.created)


def list_documents(engine: Engine, layer: str) -> list[Document]:
    """The documents of a layer, oldest first."""
    query = documents.select().where(documents.c.layer == layer).order_by(documents.c.created, documents.c.id)
    with engine.connect() as conn:
        return [_row(r) for r in conn.execute(query)]


def get_document(engine: Engine, doc_id: str) -> Document:
    """One document by id (NotFoundError otherwise)."""
    with engine.connect() as conn:
        row = conn.execute(documents.select().where(documents.c.id == doc_id)).first()
    if row is None:
        raise NotFoundError(f"文档不存在:{doc_id}", f"no document {doc_id}")
    return _row(row)


def document_path(data_dir: Path, document: Document) -> Path:
    """The stored file of a document."""
    path = Path(data_dir) / "documents" / f"{document.id}{Path(document.filename).suffix.lower()}"
    if not path.is_file():
        raise NotFoundError(f"文档文件缺失:{document.title}", f"missing {path}")
    return path

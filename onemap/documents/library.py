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


def _check_content(content: bytes, kind: dict[str, str]) -> None:
    if not content:
        raise InputError("文档为空", "empty document")
    if len(content) > MAX_BYTES:
        raise InputError(f"文档超过 {MAX_BYTES // 1024**2} MB", f"document of {len(content)} bytes")
    if not content.startswith(bytes.fromhex(kind["signature"])):  # the file's magic number, from the table
        raise InputError("文档内容与扩展名不符", f"{kind['suffix']} without its signature")


def check_document(filename: str, content: bytes) -> dict:
    """The document type of ``filename`` after checking ``content`` (InputError in Chinese otherwise)."""
    kind = _type_of(filename)
    _check_content(content, kind)
    return kind


def attach(engine: Engine, data_dir: Path, *, layer: str, filename: str, content: bytes, owner: str,
           title: str = "") -> Document:
    """Store ``content`` as a document of ``layer`` (file first, then its record; a failed record removes it)."""
    return attach_all(engine, data_dir, layer=layer, files=[(filename, content, title)], owner=owner)[0]


def attach_all(engine: Engine, data_dir: Path, *, layer: str, files: list[tuple[str, bytes, str]],
               owner: str) -> list[Document]:
    """Store several documents of ``layer`` (filename, content, title) all or none: every file is checked
    first, the files are written, then their records in one transaction; a failure removes the files."""
    kinds = [check_document(filename, content) for filename, content, _ in files]
    ids = [str(uuid.uuid4()) for _ in files]
    folder = Path(data_dir) / "documents"
    paths = [folder / f"{doc_id}{kind['suffix']}" for doc_id, kind in zip(ids, kinds, strict=True)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, (_, content, _) in zip(paths, files, strict=True):
            path.write_bytes(content)
        with engine.begin() as conn:
            for doc_id, kind, (filename, content, title) in zip(ids, kinds, files, strict=True):
                conn.execute(documents.insert().values(
                    id=doc_id, layer=layer, title=(title or Path(filename).stem)[:200],
                    filename=Path(filename).name[:255], media_type=kind["media_type"], kind=kind["kind"],
                    size=len(content), sha256=hashlib.sha256(content).hexdigest(), owner=owner,
                    created=datetime.now(UTC)))
    except BaseException:
        for path in paths:
            path.unlink(missing_ok=True)
        raise
    return [get_document(engine, doc_id) for doc_id in ids]


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

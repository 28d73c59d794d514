"""规划成果文档 over HTTP: list, attach, download and preview the documents of a catalog entry.

Whoever may see a layer in the catalog may read its documents; attaching needs ``layer:import`` on it.
"""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse

from onemap.api.auth import current_user
from onemap.api.context import client_ip, context, opened_store
from onemap.api.ogc.access import readable_layer
from onemap.documents import attach, document_path, get_document, list_documents, view_document
from onemap.documents.library import MAX_BYTES
from onemap.errors import InputError, RateLimitedError
from onemap.security import User, audit
from onemap.security.clearance import require_layer
from onemap.store import Store

router = APIRouter(tags=["规划成果文档"])
UserDep = Annotated[User, Depends(current_user)]
StoreDep = Annotated[Store, Depends(opened_store)]


@router.get("/api/catalog/{name}/documents", summary="图层的规划成果文档(文本、图件、指标表)")
def documents_of(name: str, request: Request, user: UserDep, store: StoreDep) -> list[dict]:
    readable_layer(request, store, user, name, "catalog:read")
    return [d.to_dict() for d in list_documents(context(request).records, name)]


@router.post("/api/catalog/{name}/documents", status_code=201, summary="为图层上传规划成果文档")
def upload_document(name: str, request: Request, user: UserDep, store: StoreDep,
                    file: Annotated[UploadFile, File(description="DOCX、XLSX、PDF、PNG 或 JPEG")],
                    title: Annotated[str, Form(max_length=200)] = "") -> dict:
    ctx = context(request)
    require_layer(user, store.entry(name).meta, action="layer:import", settings=ctx.security)
    if not ctx.heavy_limiter.allow(f"user:{user.username}"):
        raise RateLimitedError("上传过于频繁,请稍后再试", f"document rate limit for {user.username}")
    content = file.file.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise InputError(f"文档超过 {MAX_BYTES // 1024**2} MB", "document too large")
    document = attach(ctx.records, ctx.settings.data_dir, layer=name, filename=file.filename or "", content=content,
                      owner=user.username, title=title)
    with ctx.records.begin() as conn:
        audit.record(conn, user=user, ip=client_ip(request), action="document:attach", object=name,
                     result="success", detail={"document": document.id, "file": document.filename[:100]})
    return document.to_dict()


def _readable(request: Request, store: Store, user: User, doc_id: str):
    document = get_document(context(request).records, doc_id)
    readable_layer(request, store, user, document.layer, "catalog:read")
    return document


@router.get("/api/documents/{doc_id}", summary="下载规划成果文档")
def download_document(doc_id: str, request: Request, user: UserDep, store: StoreDep) -> FileResponse:
    document = _readable(request, store, user, doc_id)
    path = document_path(context(request).settings.data_dir, document)
    disposition = "inline" if document.kind in ("image", "file") else "attachment"
    return FileResponse(path, media_type=document.media_type, filename=document.filename,
                        content_disposition_type=disposition)


@router.get("/api/documents/{doc_id}/view", summary="预览规划成果文档(Word 为段落与表格,Excel 为表格)")
def preview_document(doc_id: str, request: Request, user: UserDep, store: StoreDep) -> dict:
    document = _readable(request, store, user, doc_id)
    content = view_document(document_path(context(request).settings.data_dir, document), document.kind)
    return {**document.to_dict(), **content}

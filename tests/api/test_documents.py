"""/api/catalog/{name}/documents and /api/documents: attach, list, preview, download, rights."""

from __future__ import annotations

import io

import docx

from tests.api.conftest import Api


def _docx() -> bytes:
    document = docx.Document()
    document.add_heading("某县国土空间总体规划", level=0)
    document.add_heading("第一章 总则", level=1)
    document.add_paragraph("第一条 规划目的。")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_attach_preview_and_download(api: Api) -> None:
    api.add_layer("GHYDYH", "内部")
    client, worker = api.client, api.user(["业务人员"])
    sent = client.post("/api/catalog/GHYDYH/documents", headers=worker, data={"title": "规划文本"},
                       files={"file": ("规划文本.docx", _docx(), "application/octet-stream")})
    assert sent.status_code == 201, sent.text
    doc_id = sent.json()["id"]
    listed = client.get("/api/catalog/GHYDYH/documents", headers=worker).json()
    assert [d["title"] for d in listed] == ["规划文本"]
    view = client.get(f"/api/documents/{doc_id}/view", headers=worker).json()
    assert view["blocks"][:2] == [{"type": "title", "text": "某县国土空间总体规划"},
                                  {"type": "h1", "text": "第一章 总则"}]
    download = client.get(f"/api/documents/{doc_id}", headers=worker)
    assert download.status_code == 200 and download.content.startswith(b"PK")
    with api.records.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM audit_log WHERE action = 'document:attach'").scalar() == 1


def test_documents_follow_the_layer_rights(api: Api) -> None:
    api.add_layer("GHYDYH", "内部")
    client, worker = api.client, api.user(["业务人员"])
    doc_id = client.post("/api/catalog/GHYDYH/documents", headers=worker,
                         files={"file": ("规划文本.docx", _docx(), "application/octet-stream")}).json()["id"]
    public = api.user(["公众"], clearance="公开")
    assert client.get("/api/catalog/GHYDYH/documents", headers=public).status_code == 404
    assert client.get(f"/api/documents/{doc_id}", headers=public).status_code == 404
    leader = api.user(["领导"])
    refused = client.post("/api/catalog/GHYDYH/documents", headers=leader,
                          files={"file": ("x.docx", _docx(), "application/octet-stream")})
    assert refused.status_code == 403
    bad = client.post("/api/catalog/GHYDYH/documents", headers=worker,
                      files={"file": ("x.exe", b"MZ", "application/octet-stream")})
    assert bad.status_code == 422 and "不支持的文档类型" in bad.json()["detail"]

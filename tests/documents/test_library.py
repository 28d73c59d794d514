"""规划成果文档: attaching files to a layer and reading the sample's plan text and indicator table."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from onemap.documents import attach, attach_all, document_path, get_document, list_documents, view_document
from onemap.errors import InputError, NotFoundError
from onemap.records import open_records
from tests.cartography.county import sample_county


@pytest.fixture(scope="module")
def county_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_county(tmp_path_factory.mktemp("docs-county")).parent


@pytest.fixture
def records(tmp_path: Path) -> Engine:
    return open_records(f"sqlite:///{tmp_path / 'records.sqlite'}")


def test_attach_list_and_view_the_plan_text(records: Engine, tmp_path: Path, county_folder: Path) -> None:
    text = county_folder / "规划文本.docx"
    document = attach(records, tmp_path, layer="GHYDYH", filename=text.name, content=text.read_bytes(), owner="u1")
    assert document.kind == "docx" and document.title == "规划文本"
    assert [d.id for d in list_documents(records, "GHYDYH")] == [document.id] and not list_documents(records, "DLTB")
    view = view_document(document_path(tmp_path, get_document(records, document.id)), document.kind)
    types = [b["type"] for b in view["blocks"]]
    assert types[0] == "title" and "青岚县国土空间总体规划" in view["blocks"][0]["text"]
    assert "h1" in types and "table" in types
    table = next(b for b in view["blocks"] if b["type"] == "table")
    assert table["rows"][0][:2] == ["序号", "指标名称"]


def test_indicator_table_as_rows(records: Engine, tmp_path: Path, county_folder: Path) -> None:
    table = county_folder / "规划指标表.xlsx"
    document = attach(records, tmp_path, layer="GHYDYH", filename=table.name, content=table.read_bytes(),
                      owner="u1", title="规划指标表")
    sheet = view_document(document_path(tmp_path, document), "xlsx")["sheets"][0]
    assert sheet["name"] == "规划指标表" and sheet["rows"][1][2] == "指标名称"
    assert any(row[2] == "生态保护红线面积" for row in sheet["rows"][2:])


@pytest.mark.parametrize(("name", "content", "message"), [
    ("a.exe", b"MZ", "不支持的文档类型"), ("a.docx", b"not a zip", "内容与扩展名不符"), ("a.pdf", b"", "文档为空"),
    ("图.png", b"GIF89a", "内容与扩展名不符"), ("图.jpg", b"\x89PNG\r\n\x1a\n", "内容与扩展名不符"),
])
def test_bad_documents_refused_and_nothing_stored(records: Engine, tmp_path: Path, name: str, content: bytes,
                                                  message: str) -> None:
    with pytest.raises(InputError, match=message):
        attach(records, tmp_path, layer="DLTB", filename=name, content=content, owner="u1")
    assert not list_documents(records, "DLTB") and not (tmp_path / "documents").exists()


def test_corrupt_docx_preview_is_a_clear_error(records: Engine, tmp_path: Path) -> None:
    document = attach(records, tmp_path, layer="DLTB", filename="坏.docx", content=b"PK\x03\x04broken", owner="u1")
    with pytest.raises(InputError, match="无法预览"):
        view_document(document_path(tmp_path, document), "docx")
    with pytest.raises(NotFoundError):
        get_document(records, "missing")


def test_cli_attaches_the_sample_documents(tmp_path: Path, county_folder: Path) -> None:
    from typer.testing import CliRunner

    from onemap.cli.main import app
    from tests.cartography.county import import_county

    store, records = f"gpkg://{tmp_path / 'store.gpkg'}", f"sqlite:///{tmp_path / 'records.sqlite'}"
    import_county(county_folder / "sample.gpkg", store, ("GHYDYH",))
    files = [str(county_folder / "规划文本.docx"), str(county_folder / "规划指标表.xlsx")]
    result = CliRunner().invoke(app, ["documents", "attach", "GHYDYH", *files, "--store", store, "--records", records])
    assert result.exit_code == 0, result.output
    assert [d.title for d in list_documents(open_records(records), "GHYDYH")] == ["规划文本", "规划指标表"]
    missing = CliRunner().invoke(app, ["documents", "attach", "NOPE", files[0], "--store", store, "--records", records])
    assert missing.exit_code == 2 and "图层不存在" in missing.output


def test_several_documents_are_attached_all_or_none(records: Engine, tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 8
    with pytest.raises(InputError, match="内容与扩展名不符"):
        attach_all(records, tmp_path, layer="DLTB", owner="u1",
                   files=[("图1.png", png, ""), ("文本.docx", b"not a zip", "")])
    assert not list_documents(records, "DLTB") and not (tmp_path / "documents").exists()
    both = attach_all(records, tmp_path, layer="DLTB", owner="u1",
                      files=[("图1.png", png, "图一"), ("图2.png", png, "")])
    assert {d.title for d in list_documents(records, "DLTB")} == {"图一", "图2"} == {d.title for d in both}
    assert len(list((tmp_path / "documents").iterdir())) == 2

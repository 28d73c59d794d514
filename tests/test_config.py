"""Typed settings: limits and the QC extras come from ONEMAP_* variables with documented defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from onemap.config import Settings, get_settings
from onemap.services.processes import access


def test_defaults() -> None:
    settings = Settings(_env_file=None)
    assert settings.upload_limit == 2 * 1024**3 and settings.body_limit == 1024 * 1024
    assert settings.sync_feature_limit == 50_000 and settings.qc_extra == []
    assert (settings.review_sync_projects, settings.review_pool_projects) == (20, 500)


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEMAP_UPLOAD_LIMIT", "1000")
    monkeypatch.setenv("ONEMAP_BODY_LIMIT", "500")
    monkeypatch.setenv("ONEMAP_SYNC_FEATURE_LIMIT", "7")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", "/p/省级.yaml:/p/extra.csv")
    monkeypatch.setenv("ONEMAP_REVIEW_POOL_PROJECTS", "3")
    settings = Settings(_env_file=None)
    assert settings.review_pool_projects == 3
    assert (settings.upload_limit, settings.body_limit, settings.sync_feature_limit) == (1000, 500, 7)
    assert settings.qc_extra == [Path("/p/省级.yaml"), Path("/p/extra.csv")]


def test_sync_threshold_read_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEMAP_SYNC_FEATURE_LIMIT", "12")
    get_settings.cache_clear()
    try:
        assert access.sync_feature_limit() == 12
    finally:
        monkeypatch.delenv("ONEMAP_SYNC_FEATURE_LIMIT")
        get_settings.cache_clear()
    assert access.sync_feature_limit() == 50_000


def test_bad_limit_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONEMAP_UPLOAD_LIMIT", "0")
    with pytest.raises(ValidationError):
        Settings(_env_file=None)

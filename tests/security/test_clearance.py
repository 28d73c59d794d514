"""Clearance × security level × edition ceiling (P9): who sees what, and what an edition may hold."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onemap.errors import InputError, NotFoundError
from onemap.security.clearance import (
    assert_storable,
    can_read_layer,
    can_read_version,
    ceiling,
    public_tile_attributes,
    readable_history,
    readable_version,
    region_filter,
    require_layer,
    sees_layer_totals,
    tile_attributes,
    visible,
    visible_levels,
)
from onemap.security.errors import PermissionDeniedError
from onemap.security.settings import SecuritySettings, editions
from onemap.security.users import User
from onemap.store.base import CatalogEntry, LayerMeta, VersionInfo

LEVELS = ["公开", "内部", "秘密", "机密"]


def edition(name: str) -> SecuritySettings:
    """Settings of one edition."""
    return SecuritySettings(_env_file=None, edition=name)


def reader(clearance: str, *roles: str, region: str = "") -> User:
    """An in-memory account with a clearance."""
    return User(id=7, username="reader", roles=roles or ("业务人员",), clearance=clearance, region_code=region)


# Expected visibility: for each edition, the highest level a 机密-cleared user may see.
@pytest.mark.parametrize(("name", "highest"), [("internet", "公开"), ("government", "内部"), ("classified", "机密")])
@pytest.mark.parametrize("clearance", LEVELS)
@pytest.mark.parametrize("level", LEVELS)
def test_matrix(name: str, highest: str, clearance: str, level: str) -> None:
    expected = LEVELS.index(level) <= min(LEVELS.index(clearance), LEVELS.index(highest))
    assert visible(reader(clearance), level, settings=edition(name)) is expected


def test_edition_table() -> None:
    assert {k: v.ceiling for k, v in editions().items()} == {"internet": "公开", "government": "内部",
                                                               "classified": "机密"}
    assert ceiling(edition("government")) == "内部"


def test_unknown_level_is_refused() -> None:
    with pytest.raises(InputError, match="未知的数据安全等级"):
        visible(reader("内部"), "绝密", settings=edition("classified"))


def test_internet_edition_never_stores_above_public() -> None:
    assert_storable("公开", edition("internet"))
    with pytest.raises(InputError, match="互联网版.*只能存储和提供“公开”及以下等级的数据,“内部”数据不得进入本系统"):
        assert_storable("内部", edition("internet"))
    with pytest.raises(InputError, match="政务网版"):
        assert_storable("秘密", edition("government"))
    assert_storable("机密", edition("classified"))


def test_visible_levels_for_filters() -> None:
    assert visible_levels(reader("秘密"), settings=edition("classified")) == ["公开", "内部", "秘密"]
    assert visible_levels(reader("机密"), settings=edition("internet")) == ["公开"]


def test_region_filter() -> None:
    assert region_filter(reader("内部", region="341123")) == "341123"
    assert region_filter(reader("内部")) == ""


def test_layer_access_combines_level_and_permission() -> None:
    internal = LayerMeta(name="DLTB", title="地类图斑", security_level="内部")
    public = LayerMeta(name="GHFQ", title="规划分区", security_level="公开")
    government = edition("government")
    assert can_read_layer(reader("内部"), internal, settings=government)
    assert not can_read_layer(reader("公开"), internal, settings=government)
    assert can_read_layer(reader("公开", "公众"), public, settings=government)
    assert not can_read_layer(reader("内部", "公众"), internal, settings=government)  # level fine, no grant
    with pytest.raises(NotFoundError, match="图层不存在"):  # above clearance: existence not disclosed
        require_layer(reader("公开", "业务人员"), internal, settings=government)
    with pytest.raises(PermissionDeniedError):
        require_layer(reader("内部", "领导"), internal, action="layer:export", settings=government)


def _declassified() -> CatalogEntry:
    """A layer whose v1 is 秘密 and v2 (current) 公开."""
    def version(number: int, level: str, day: date) -> VersionInfo:
        return VersionInfo("HIST", number, datetime(day.year, 1, 1, tzinfo=UTC), day, f"v{number}.gpkg", 3, 3, 0, 0,
                           (0.0, 0.0, 1.0, 1.0), security_level=level)
    history = [version(1, "秘密", date(2019, 12, 31)), version(2, "公开", date(2023, 12, 31))]
    return CatalogEntry(LayerMeta("HIST", "历史", security_level="公开"), history[-1], history)


def test_a_version_is_read_on_its_own_level() -> None:
    entry, settings = _declassified(), edition("classified")
    public, secret = reader("公开"), reader("秘密")
    assert readable_version(public, entry, settings=settings).version == 2
    assert readable_version(secret, entry, 1, settings=settings).version == 1
    with pytest.raises(NotFoundError, match="没有版本 1"):  # the words of a version that does not exist
        readable_version(public, entry, 1, settings=settings)
    with pytest.raises(NotFoundError, match="之前没有版本"):
        readable_version(public, entry, as_of=date(2020, 6, 1), settings=settings)
    assert [v.version for v in readable_history(public, entry, settings=settings)] == [2]
    assert can_read_version(public, entry.meta, entry.history[0], settings=settings) is False
    assert sees_layer_totals(reader("秘密", region="341123")) is False and sees_layer_totals(secret)


def test_tile_attributes_follow_layer_read() -> None:
    dltb = LayerMeta("DLTB", "地类图斑", security_level="公开")
    public = User(id=0, username="-", roles=("公众",), clearance="公开")
    assert tile_attributes(public, dltb) == ["DLBM"] == public_tile_attributes("DLTB_2023")
    assert tile_attributes(public, LayerMeta("OTHER", "其他", security_level="公开")) == []  # geometry only
    assert tile_attributes(reader("公开"), dltb) is None  # layer:read: every attribute

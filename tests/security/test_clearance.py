"""Clearance × security level × edition ceiling (P9): who sees what, and what an edition may hold."""

from __future__ import annotations

import pytest

from onemap.errors import InputError, NotFoundError
from onemap.security.clearance import (
    assert_storable,
    can_read_layer,
    ceiling,
    region_filter,
    require_layer,
    visible,
    visible_levels,
)
from onemap.security.errors import PermissionDeniedError
from onemap.security.settings import SecuritySettings, editions
from onemap.security.users import User
from onemap.store.base import LayerMeta

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

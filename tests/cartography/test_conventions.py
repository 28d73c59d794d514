"""Bureau conventions on map sheets (issue 12 item 6): the county's name in the title, the local date."""

from __future__ import annotations

from pathlib import Path

import pdfplumber

from onemap import localtime
from onemap.cartography import MapRequest, parse_template, render_map
from onemap.cartography.region import region_name
from onemap.store import Store
from tests.cartography.county import COUNTY, TOWNSHIP
from tests.cartography.test_render import UNIQUE


def test_a_county_map_is_titled_with_the_countys_name(map_store: Store, tmp_path: Path) -> None:
    named = map_store.read("GHYDYH", columns=["XZQDM", "XZQMC"])
    expected = named.loc[named["XZQDM"] == COUNTY, "XZQMC"].iloc[0]
    template = parse_template(UNIQUE)
    result = render_map(map_store, MapRequest(template, region=COUNTY), tmp_path)
    assert result.region.name == expected and COUNTY not in result.region.name
    with pdfplumber.open(result.pdf) as pdf:
        text = pdf.pages[0].extract_text()
    assert f"{expected}土地利用现状图" in text and f"行政区 {COUNTY}" not in text
    assert f"制图日期:{localtime.today().isoformat()}" in text


def test_names_match_exact_or_zero_padded_codes_only(map_store: Store) -> None:
    assert region_name(map_store, TOWNSHIP) != f"行政区 {TOWNSHIP}"  # XZQ names its 乡镇
    assert region_name(map_store, COUNTY[:4]) == f"行政区 {COUNTY[:4]}"  # the city is named by no layer here

"""The engine on a real sample county: clean gives nothing, planted defects give exactly themselves."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from onemap import plugins
from onemap.errors import StandardsError
from onemap.qc import check_path, rule
from onemap.qc.defects import ExpectedFinding
from onemap.qc.registry import get_check, registered_checks
from onemap.qc.rulesets import available, load_ruleset
from tests.qc.support import county, dataset


def _found(result) -> set[tuple[str, str, tuple[str, ...]]]:
    return {(f.rule, f.layer, tuple(sorted(f.keys))) for f in result.findings}


@pytest.mark.parametrize("ruleset", ["sandiao", "plan-county", "plan-city"])
def test_clean_sample_has_no_findings(sample_gpkg: Path, ruleset: str) -> None:
    result, _ = check_path(sample_gpkg, ruleset)
    assert result.findings == [], [(f.rule, f.message) for f in result.findings[:5]]
    assert result.layer_counts["DLTB"] > 2000 and result.epsg == 4527


@pytest.mark.parametrize("ruleset", ["sandiao", "plan-county"])
def test_defects_found_exactly(defective: tuple[Path, list[ExpectedFinding]], ruleset: str) -> None:
    path, expected = defective
    result, _ = check_path(path, ruleset)
    wanted = {(e.rule, e.layer, tuple(sorted(e.keys))) for e in expected if e.ruleset == ruleset}
    assert _found(result) == wanted


def test_defects_cover_every_rule_that_a_file_can_show(defective) -> None:
    _, expected = defective
    planted = {e.rule for e in expected if e.ruleset == "sandiao"}
    # CRS and missing layers cannot coexist with the rest in one file: tests/qc/test_input.py plants them
    assert {r.id for r in load_ruleset("sandiao").rules} - planted == {"SD_CRS", "SD_LAYERS"}
    planted = {e.rule for e in expected if e.ruleset == "plan-county"}
    # a missing 规划指标表 cannot coexist with a wrong one: tests/qc/test_consistency.py plants it
    assert {r.id for r in load_ruleset("plan-county").rules} - planted == {"GH_CRS", "GH_LAYERS", "GH_YZ_TABLE"}


def test_rulesets_shipped() -> None:
    assert {"sandiao", "plan-county", "plan-city", "supplementary"} <= set(available())
    for name in available():
        for spec in load_ruleset(name).rules:
            assert get_check(spec.check), spec.id
            assert spec.category in ("crs", "completeness", "structure", "domain", "topology", "logic", "area")


def test_plan_city_extends_plan_county() -> None:
    city = {r.id: r for r in load_ruleset("plan-city").rules}
    assert city["GH_LAYERS"].layers == ("YJJBNTBHTB", "STBHHX", "CZKFBJ")
    assert "GH_SANXIAN" in city


def test_unknown_ruleset() -> None:
    with pytest.raises(StandardsError, match="未知的质检规则集"):
        load_ruleset("nope")


def test_province_yaml_overrides_and_adds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "anhui.yaml"
    extra.write_text(textwrap.dedent("""
        ruleset: sandiao
        rules:
          - {id: SD_SLIVER, severity: error, params: {min_area: 2.5}}
          - {id: SD_XZDWKD, enabled: false}
          - {id: AH_GHYDYH_OVERLAP, check: TOPO_OVERLAP, category: topology, severity: warning, layers: [DLTB],
             params: {coverage: false}, source: 安徽省补充规则}
        """), encoding="utf-8")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", str(extra))
    rules = {r.id: r for r in load_ruleset("sandiao").rules}
    assert rules["SD_SLIVER"].severity == "error" and rules["SD_SLIVER"].params["min_area"] == 2.5
    assert rules["SD_SLIVER"].origin == str(extra)
    assert "SD_XZDWKD" not in rules and rules["AH_GHYDYH_OVERLAP"].source == "安徽省补充规则"


def test_province_csv_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "extra.csv"
    extra.write_text('ruleset,id,check,category,severity,layers,params,title,source,enabled\n'
                     'sandiao,SD_TBMJ,,,,,"{""abs_tol"": 1.0}",,,\n'
                     'plan-county,GH_VALID,,,,,,,,false\n', encoding="utf-8")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", str(extra))
    assert {r.id: r for r in load_ruleset("sandiao").rules}["SD_TBMJ"].params["abs_tol"] == 1.0
    assert "GH_VALID" not in {r.id for r in load_ruleset("plan-county").rules}


def test_bad_extra_file_is_a_standards_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    extra = tmp_path / "bad.yaml"
    extra.write_text("ruleset: sandiao\nrules:\n  - {id: X, category: nonsense, severity: error}\n", encoding="utf-8")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", str(extra))
    with pytest.raises(StandardsError):
        load_ruleset("sandiao")


def test_registered_check_used_by_a_province_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    @rule("TEST_ALWAYS")
    def always(data, spec):
        return [spec.finding(name, "测试") for name in spec.layers if data.get(name) is not None]

    extra = tmp_path / "x.yaml"
    extra.write_text("rules:\n  - {id: T1, check: TEST_ALWAYS, category: logic, severity: warning, layers: [DLTB]}\n",
                     encoding="utf-8")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", str(extra))
    from onemap.qc import run_qc

    result = run_qc(dataset(county()), load_ruleset("sandiao"))
    assert [(f.rule, f.severity) for f in result.findings] == [("T1", "warning")]
    assert "TEST_ALWAYS" in registered_checks()


def test_failing_check_becomes_a_finding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    @rule("TEST_BROKEN")
    def broken(data, spec):
        raise RuntimeError("boom")

    extra = tmp_path / "x.yaml"
    extra.write_text("rules:\n  - {id: T2, check: TEST_BROKEN, category: logic, severity: error, layers: [DLTB]}\n",
                     encoding="utf-8")
    monkeypatch.setenv("ONEMAP_QC_EXTRA", str(extra))
    from onemap.qc import run_qc

    result = run_qc(dataset(county()), load_ruleset("sandiao"))
    assert [f.rule for f in result.findings] == ["T2"] and "boom" in result.findings[0].message


def test_entry_point_plugins_are_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    from onemap.qc import registry

    class FakeEntryPoint:
        name = "province"

        def load(self) -> None:
            registry.rule("PROVINCE_CHECK")(lambda data, spec: [])

    class BrokenEntryPoint:
        name = "broken"

        def load(self) -> None:
            raise ImportError("missing dependency")

    monkeypatch.setattr(registry, "_loaded", False)
    monkeypatch.setattr(plugins, "entry_points", lambda group: [FakeEntryPoint(), BrokenEntryPoint()]
                        if group == registry.ENTRY_POINT_GROUP else [])
    assert "PROVINCE_CHECK" in registry.registered_checks()


def test_write_defective_sample(sample_gpkg: Path, tmp_path: Path) -> None:
    import json
    import shutil

    from onemap.qc.defects import write_defective_sample

    shutil.copy(sample_gpkg, tmp_path / "sample.gpkg")
    target, listing = write_defective_sample(tmp_path, seed=2)
    expected = json.loads(listing.read_text(encoding="utf-8"))
    result, _ = check_path(target, "sandiao")
    assert _found(result) == {(e["rule"], e["layer"], tuple(sorted(e["keys"]))) for e in expected
                              if e["ruleset"] == "sandiao"}


def test_defective_sample_next_to_the_clean_one(sample_gpkg: Path, tmp_path: Path) -> None:
    """As `onemap sample --defects` writes them: each gpkg finds its own 规划指标表 in the shared folder."""
    import json
    import shutil

    from onemap.qc.defects import write_defective_sample

    for name in ("sample.gpkg", "规划指标表.xlsx"):
        shutil.copy(sample_gpkg.parent / name, tmp_path / name)
    target, listing = write_defective_sample(tmp_path, seed=3)
    assert (tmp_path / "规划指标表_sample_defects.xlsx").is_file()
    expected = json.loads(listing.read_text(encoding="utf-8"))
    result, _ = check_path(target, "plan-county")
    assert _found(result) == {(e["rule"], e["layer"], tuple(sorted(e["keys"]))) for e in expected
                              if e["ruleset"] == "plan-county"}
    assert ("GH_YZ_01", "GHYDYH", ("林地保有量",)) in _found(result)
    assert check_path(tmp_path / "sample.gpkg", "plan-county")[0].findings == []

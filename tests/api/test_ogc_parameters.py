"""Query parameters of every OGC API route: unknown ones, typed queryables, bounds and numberMatched counts."""

from __future__ import annotations

import pytest

from tests.api.test_ogc import public_api  # noqa: F401 - the fixture: DLTB of 5 parcels, a 内部 reader


def test_a_numeric_queryable_parameter_is_typed(public_api) -> None:  # noqa: F811
    client = public_api.client
    bad = client.get("/ogc/collections/DLTB/items", params={"TBMJ": "many"})
    assert bad.status_code == 400 and "TBMJ" in bad.json()["message"]


@pytest.mark.parametrize("path", ["/ogc", "/ogc/collections", "/ogc/collections/DLTB", "/ogc/conformance",
                                  "/ogc/collections/catalog/items", "/ogc/tileMatrixSets"])
def test_unknown_parameters_on_other_ogc_routes(public_api, path: str) -> None:  # noqa: F811
    assert public_api.client.get(path).status_code == 200
    assert public_api.client.get(path, params={"offest": "5"}).status_code == 400


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "abc"}, {"after": "99999999999999999999"},
                                   {"version": "99999999999999999999"}, {"bbox": "1,2,3"},
                                   {"limit": ["1", "2"]}])
def test_invalid_values_answer_400_not_422_or_500(public_api, query: dict) -> None:  # noqa: F811
    response = public_api.client.get("/ogc/collections/DLTB/items", params=query)
    assert response.status_code == 400, response.text


def test_number_matched_on_plain_and_filtered_pages(public_api) -> None:  # noqa: F811
    client = public_api.client
    first = client.get("/ogc/collections/DLTB/items", params={"limit": 2}).json()
    assert first["numberMatched"] == 5 and first["numberReturned"] == 2
    following = client.get(next(link["href"] for link in first["links"] if link["rel"] == "next")).json()
    assert following["numberMatched"] == 5
    filtered = client.get("/ogc/collections/DLTB/items", params={"limit": 1, "filter": "ZLDWDM LIKE '341123%'"}).json()
    assert filtered["numberMatched"] == 3 and filtered["numberReturned"] == 1




def test_conformance_claims_no_openapi_30_for_a_31_document(public_api) -> None:  # noqa: F811
    client = public_api.client
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")
    assert not any(c.endswith("/conf/oas30") for c in client.get("/ogc/conformance").json()["conformsTo"])

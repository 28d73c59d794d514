"""Query parameters an OGC API route does not know answer 400 naming them (OGC API Features
/req/core/query-param-unknown): a client paging by ``offset`` or sorting by ``sortby`` must not get page 1
unsorted as if it had been understood.

Routers add :func:`known_parameters` as a dependency; a route that accepts more than it declares (items:
the layer's queryables as filters) sets ``openapi_extra={"x-onemap-own-parameters": True}`` and calls
:func:`reject_unknown` itself with the extra names.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from onemap.errors import InputError

OWN_PARAMETERS = "x-onemap-own-parameters"


def _declared(route: APIRoute) -> frozenset[str]:
    """The query parameter names (aliases as sent) a route and its dependencies declare (a few µs)."""
    return frozenset(_query_names(route.dependant))


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def declared_parameters(request: Request) -> frozenset[str]:
    """The query parameter names the matched route declares."""
    route = request.scope.get("route")
    return _declared(route) if isinstance(route, APIRoute) else frozenset()


def reject_unknown(request: Request, also: Iterable[str] = ()) -> None:
    """:class:`InputError` naming each query parameter neither the route nor ``also`` knows."""
    known = declared_parameters(request) | set(also)
    unknown = [name for name in dict.fromkeys(request.query_params.keys()) if name not in known]
    repeated = [name for name in known if len(request.query_params.getlist(name)) > 1]
    if repeated:
        raise InputError(f"查询参数 {repeated[0][:40]} 只能给一次", f"repeated query parameter {repeated[0][:40]!r}")
    if unknown:
        shown = "、".join(name[:40] for name in unknown[:5])
        allowed = "、".join(sorted(declared_parameters(request))) or "无"
        raise InputError(f"不支持的查询参数:{shown}(本接口支持:{allowed})", f"unknown query parameters {unknown[:5]}")


def known_parameters(request: Request) -> None:
    """Router dependency: unknown query parameters answer 400 (routes marked with OWN_PARAMETERS check themselves)."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute) and (route.openapi_extra or {}).get(OWN_PARAMETERS):
        return
    reject_unknown(request)

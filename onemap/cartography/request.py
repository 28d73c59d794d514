"""A map request: which template to run, for which region, versions or date, within whose scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from onemap.cartography.template import MapTemplate


@dataclass
class MapRequest:
    """One run of a template: for a region, layer versions or a date, within a reader's scope."""

    template: MapTemplate
    region: str | None = None  # overrides the template's region
    versions: dict[str, int] = field(default_factory=dict)  # layer → version, overrides the template's
    as_of: date | None = None  # overrides the template's as_of
    scope: str = ""  # the reader's 行政区划 prefix ('' = unlimited), passed by the API layer

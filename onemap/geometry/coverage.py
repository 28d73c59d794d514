"""覆盖 (coverage) check of a polygon layer: which polygons keep it from being a coverage.

A 三调 DLTB or a 用地用海 layer is a coverage: its polygons do not overlap and neighbours share their
boundaries vertex for vertex. GEOS's CoverageValidator (``shapely.coverage_invalid_edges``) names the
polygons whose edges overlap a neighbour or do not match its edges; invalid polygons are counted too
(an analysis repairs them first, and the repaired polygon may overlap its neighbours). Both properties
are properties of pairs, so the layer without the polygons named is a coverage — an overlay can then
treat the bulk of a layer as a coverage and only the named polygons pair by pair.

A layer version never changes, so the check runs once: the import records it with the version as the
fact :data:`FACT` (JSON ``{"checked": n, "keys": [...]}``, the ``_key`` of each polygon named; ``keys``
is null when more than :data:`MAX_LISTED` are named — then the layer is simply not a coverage).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import shapely

FACT = "coverage_defects"
MAX_LISTED = 50_000  # beyond this many defects the layer is treated as no coverage at all
_POLYGONAL = (3, 6)


def coverage_defects(geoms: np.ndarray) -> np.ndarray:
    """Per geometry: True where it keeps the set from being a coverage (overlap, unmatched edges, invalid).

    Empty and missing geometries and non-polygons are not defects (analyses leave them out).
    """
    geoms = np.asarray(geoms, dtype=object)
    polygons = np.isin(shapely.get_type_id(geoms), _POLYGONAL) & ~shapely.is_empty(geoms)
    invalid = polygons & ~shapely.is_valid(geoms)
    checked = np.flatnonzero(polygons & ~invalid)  # only these: with missing values in the input, Shapely
    unmatched = np.zeros(len(geoms), dtype=bool)  # 2.2 returns the edges out of place
    unmatched[checked] = ~shapely.is_empty(shapely.coverage_invalid_edges(geoms[checked]))
    return invalid | unmatched


@dataclass(frozen=True)
class CoverageDefects:
    """The stored result of the check of one layer version."""

    checked: int
    keys: frozenset[str] | None  # None: too many to list (the layer is not a coverage)

    def flags(self, keys: np.ndarray) -> np.ndarray:
        """Per feature key: True for a defect (every feature when the defects were too many to list)."""
        if self.keys is None:
            return np.ones(len(keys), dtype=bool)
        return np.isin(np.asarray(keys, dtype=object), list(self.keys)) if self.keys else np.zeros(len(keys), bool)

    def to_json(self) -> str:
        listed = None if self.keys is None else sorted(self.keys)
        return json.dumps({"checked": self.checked, "keys": listed}, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> CoverageDefects:
        value = json.loads(text)
        keys = value.get("keys")
        return cls(int(value["checked"]), None if keys is None else frozenset(map(str, keys)))

    @classmethod
    def of(cls, keys: np.ndarray, defects: np.ndarray) -> CoverageDefects:
        """The record of a check: ``defects`` (from :func:`coverage_defects`) over features ``keys``."""
        named = np.asarray(keys, dtype=object)[np.asarray(defects, dtype=bool)]
        listed = None if len(named) > MAX_LISTED else frozenset(map(str, named))
        return cls(len(keys), listed)

    @property
    def count(self) -> int | None:
        """How many features break the coverage (None: too many to list)."""
        return None if self.keys is None else len(self.keys)

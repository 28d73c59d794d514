"""The county's frame: where it lies, how big it is, its outline and its river's course."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from onemap.errors import InputError
from onemap.geometry.crs import GEOGRAPHIC_EPSG, resolve_crs, transformer
from onemap.sample.params import params


@dataclass(frozen=True)
class Frame:
    """Position and size of the sample county in a CGCS2000 Gauss–Krüger zone."""

    epsg: int
    centre: tuple[float, float]
    radius: float  # radius of the circle with the county's area
    outline: shapely.Polygon  # smooth outline; the delivered boundary follows parcel edges
    mean_area: float  # mean parcel area, m²

    @property
    def spacing(self) -> float:
        """Typical distance between neighbouring parcel seeds."""
        return float(np.sqrt(self.mean_area))


def make_frame(parcels: int, epsg: int, rng: np.random.Generator) -> Frame:
    """A county outline centred on the zone's central meridian, its area growing with ``parcels``."""
    crs = resolve_crs(epsg)
    if not crs.is_projected:
        raise InputError(f"样例县须生成在高斯-克吕格投影坐标系中,EPSG:{epsg} 不是", f"EPSG:{epsg} not projected")
    county = params()["county"]
    to_plane = transformer(GEOGRAPHIC_EPSG, epsg)
    cx, cy = to_plane.transform(crs.central_meridian, county["centre_latitude"])
    mean_area = float(params()["size"]["mean_parcel_area_m2"])
    radius = float(np.sqrt(parcels * mean_area / np.pi))
    shape = params()["shape"]
    angle = np.linspace(0.0, 2.0 * np.pi, 360, endpoint=False)
    r = np.ones_like(angle)
    for k, amplitude in zip(shape["harmonics"], shape["amplitudes"], strict=True):
        r += amplitude * rng.uniform(0.5, 1.0) * np.sin(k * angle + rng.uniform(0, 2 * np.pi))
    outline = shapely.Polygon(np.c_[cx + r * np.cos(angle), cy + r * np.sin(angle)])
    scale = np.sqrt(np.pi * radius**2 / outline.area)
    outline = shapely.affinity.scale(outline, scale, scale, origin=(cx, cy))
    return Frame(epsg=epsg, centre=(float(cx), float(cy)), radius=radius, outline=outline, mean_area=mean_area)


def river_course(frame: Frame, rng: np.random.Generator) -> shapely.LineString:
    """The centre line of a meandering river crossing the whole county (beyond its outline)."""
    river = params()["river"]
    (a_big, a_small), (w_big, w_small) = river["meander_amplitude"], river["meander_waves"]
    r = frame.radius
    u = np.linspace(-1.6 * r, 1.6 * r, 1200)
    phase = rng.uniform(0, 2 * np.pi, size=3)
    v = (a_big * r * np.sin(np.pi * w_big * u / (2 * r) + phase[0])
         + a_small * r * np.sin(np.pi * w_small * u / (2 * r) + phase[1])
         + 0.3 * a_small * r * np.sin(np.pi * 2.7 * w_small * u / (2 * r) + phase[2])
         + rng.uniform(-0.12, 0.12) * r)
    theta = rng.uniform(0, np.pi)
    x = frame.centre[0] + u * np.cos(theta) - v * np.sin(theta)
    y = frame.centre[1] + u * np.sin(theta) + v * np.cos(theta)
    return shapely.LineString(np.c_[x, y])


def river_width(frame: Frame) -> float:
    """River width in metres, growing with the county."""
    river = params()["river"]
    low, high = river["width_m"]
    return float(np.clip(river["width_fraction"] * frame.radius, low, high))

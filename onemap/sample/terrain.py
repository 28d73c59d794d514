"""A smooth, seeded terrain: elevation from Gaussian hills and noise, a carved river valley, slope.

Fields are rasters sampled bilinearly, so every later step (seed density, land-use zones, slope
classes) reads the same surface cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from onemap.sample.geom import random_points_in
from onemap.sample.layout import Frame
from onemap.sample.params import params


@dataclass(frozen=True)
class Field:
    """A raster on a regular grid; ``sample`` interpolates bilinearly (clamped at the edges)."""

    x0: float
    y0: float
    cell: float
    values: np.ndarray  # (ny, nx)

    def sample(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Values at the points (x, y)."""
        ny, nx = self.values.shape
        fx = np.clip((np.asarray(x) - self.x0) / self.cell, 0, nx - 1.000001)
        fy = np.clip((np.asarray(y) - self.y0) / self.cell, 0, ny - 1.000001)
        ix, iy = fx.astype(int), fy.astype(int)
        tx, ty = fx - ix, fy - iy
        v = self.values
        top = v[iy, ix] * (1 - tx) + v[iy, ix + 1] * tx
        bottom = v[iy + 1, ix] * (1 - tx) + v[iy + 1, ix + 1] * tx
        return top * (1 - ty) + bottom * ty


@dataclass(frozen=True)
class Waves:
    """Smooth noise of about unit variance: a sum of random plane waves with a red spectrum."""

    kx: np.ndarray
    ky: np.ndarray
    phase: np.ndarray
    amplitude: np.ndarray

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Noise values at the points (x, y)."""
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        total = np.zeros(np.broadcast(x, y).shape)
        for kx, ky, phase, amplitude in zip(self.kx, self.ky, self.phase, self.amplitude, strict=True):
            total += amplitude * np.cos(2 * np.pi * (kx * x + ky * y) + phase)
        return total / np.sqrt(0.5 * np.sum(self.amplitude**2))


def random_waves(rng: np.random.Generator, waves: int, wavelengths: tuple[float, float]) -> Waves:
    """Random plane waves with wavelengths spread log-uniformly in ``wavelengths`` (metres)."""
    lam = np.exp(rng.uniform(np.log(wavelengths[0]), np.log(wavelengths[1]), waves))
    direction = rng.uniform(0, 2 * np.pi, waves)
    phase = rng.uniform(0, 2 * np.pi, waves)
    return Waves(np.cos(direction) / lam, np.sin(direction) / lam, phase, lam)


@dataclass(frozen=True)
class Terrain:
    """Elevation (m), slope (°), distance to the river (m) and a land-use texture (unit noise)."""

    elevation: Field
    slope: Field
    river_distance: Field
    texture: Waves
    low: float
    high: float

    def normalised(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Elevation scaled to 0 (valley floor) … 1 (highest summit) over the county."""
        return np.clip((self.elevation.sample(x, y) - self.low) / (self.high - self.low), 0.0, 1.0)


def _grid(frame: Frame) -> tuple[np.ndarray, np.ndarray, float]:
    size = params()["terrain"]["grid"]
    half = 1.75 * frame.radius  # covers the outline, the ring of outside seeds and the river's ends
    cell = 2 * half / (size - 1)
    xs = frame.centre[0] - half + cell * np.arange(size)
    ys = frame.centre[1] - half + cell * np.arange(size)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, cell


def _distance_to(line: shapely.LineString, gx: np.ndarray, gy: np.ndarray, step: float) -> np.ndarray:
    """Distance from each grid node to the line (through its densified vertices)."""
    vertices = shapely.points(shapely.get_coordinates(shapely.segmentize(line, step)))
    tree = shapely.STRtree(vertices)
    nodes = shapely.points(gx.ravel(), gy.ravel())
    _, distance = tree.query_nearest(nodes, return_distance=True, all_matches=False)
    return distance.reshape(gx.shape)


def _hills(frame: Frame, river: shapely.LineString, rng: np.random.Generator,
           gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    t = params()["terrain"]
    count = int(rng.integers(t["hills"][0], t["hills"][1] + 1))
    candidates = random_points_in(frame.outline.buffer(0.2 * frame.radius), 20 * count, rng)
    far = shapely.distance(shapely.points(candidates), river) > 0.3 * frame.radius
    centres = candidates[far][:count] if far.sum() >= count else candidates[:count]
    relief = np.zeros_like(gx)
    for cx, cy in centres:
        sigma = max(rng.uniform(*t["hill_sigma"]) * frame.radius, t["hill_sigma_min_m"])
        height = rng.uniform(*t["hill_height_m"])
        relief += height * np.exp(-((gx - cx) ** 2 + (gy - cy) ** 2) / (2 * sigma**2))
    return relief


def build_terrain(frame: Frame, river: shapely.LineString, rng: np.random.Generator) -> Terrain:
    """The county's terrain: hills away from the river, noise, and the river's valley."""
    t = params()["terrain"]
    gx, gy, cell = _grid(frame)
    river_distance = _distance_to(river, gx, gy, cell / 2)
    r = frame.radius
    wavelengths = (max(t["noise_wavelength"][0] * r, 300.0), max(t["noise_wavelength"][1] * r, 1500.0))
    noise = random_waves(rng, t["noise_waves"], wavelengths)(gx, gy)
    valley_width = max(t["valley_width"] * r, 600.0)
    valley = t["valley_depth_m"] * np.exp(-0.5 * (river_distance / valley_width) ** 2)
    elevation = t["base_m"] + _hills(frame, river, rng, gx, gy) + t["noise_m"] * noise - valley
    elevation = np.maximum(elevation, t["base_m"] + 0.002 * river_distance)
    dy, dx = np.gradient(elevation, cell)
    slope = np.degrees(np.arctan(np.hypot(dx, dy)))
    texture = random_waves(rng, 24, (2.5 * frame.spacing, 25 * frame.spacing))
    x0, y0 = float(gx[0, 0]), float(gy[0, 0])
    inside = shapely.contains_xy(frame.outline, gx, gy)
    return Terrain(
        elevation=Field(x0, y0, cell, elevation),
        slope=Field(x0, y0, cell, slope),
        river_distance=Field(x0, y0, cell, river_distance),
        texture=texture,
        low=float(elevation[inside].min()),
        high=float(elevation[inside].max()),
    )

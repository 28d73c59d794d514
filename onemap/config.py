"""Typed configuration (pydantic-settings); every variable has the ``ONEMAP_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings of one node."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("onemap-data"), description="Folder of the embedded store and records")
    store: str | None = Field(None, description="Store URL; default gpkg://<data_dir>/store.gpkg")
    node_name: str = Field("本级节点", description="Name of this node (e.g. 某某县自然资源局)")
    standards_extra: list[Path] = Field(
        default_factory=list, description="Extra standards folders (province extensions), in priority order"
    )
    # Import safety caps (decompressed bytes, ratio, geometry limits).
    max_unpacked_bytes: int = 8 * 1024**3
    max_unpack_ratio: float = 200.0
    max_archive_entries: int = 20_000
    max_geometry_depth: int = 32
    max_vertices_per_feature: int = 2_000_000

    @property
    def store_url(self) -> str:
        """The store URL, defaulting to the embedded GeoPackage of this node."""
        if self.store:
            return self.store
        return f"gpkg://{(self.data_dir / 'store.gpkg').resolve()}"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    return Settings()

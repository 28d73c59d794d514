"""Typed configuration (pydantic-settings); every variable has the ``ONEMAP_`` prefix."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    """Deployment settings of one node."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=".env", extra="ignore")

    data_dir: Path = Field(Path("onemap-data"), description="Folder of the embedded store and records")
    store: str | None = Field(None, description="Store URL; default gpkg://<data_dir>/store.gpkg")
    node_name: str = Field("本级节点", description="Name of this node (e.g. 某某县自然资源局)")
    time_zone: str = Field("Asia/Shanghai", description="IANA time zone of the times reports, maps and the CLI show "
                                                         "(stored times stay UTC)")
    standards_extra: list[Path] = Field(
        default_factory=list, description="Extra standards folders (province extensions), in priority order"
    )
    # Import safety caps (decompressed bytes, ratio, geometry limits).
    max_unpacked_bytes: int = 8 * 1024**3
    max_unpack_ratio: float = 200.0
    max_archive_entries: int = 20_000
    max_geometry_depth: int = 32
    max_vertices_per_feature: int = 2_000_000
    # Request caps of the web layer (bytes).
    body_limit: int = Field(1024 * 1024, gt=0, description="JSON request bodies: filters, logins, process inputs")
    upload_limit: int = Field(2 * 1024**3, gt=0,
                              description="Uploaded deliveries (/api/imports, /api/qc): a county's 三调 zip")
    # Executions reading more features than this run as jobs even when a synchronous answer was asked.
    sync_feature_limit: int = Field(50_000, ge=0, description="Feature count above which a process runs as a job")
    review_cache_features: int = Field(
        1_000_000, ge=0,
        description="项目合规性审查: features a process may hold whole in memory (all cached layers together, about "
                    "2 KB each); a larger layer is read per project or per batch chunk from the store (spatial query)")
    review_sync_projects: int = Field(
        20, ge=0, description="项目合规性审查: a batch of more projects runs as a job even when a synchronous answer "
                              "was asked for")
    review_pool_projects: int = Field(
        500, ge=0, description="项目合规性审查: a batch of more projects runs on worker processes (each reads the "
                               "layers once, ~5 s for a 300k-parcel county)")
    qc_extra: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="A province's extra QC rule files (YAML/CSV), separated by os.pathsep"
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Origins (https://host:port) a browser client may call the API from, "
                                          "comma-separated; none (CORS off) by default")

    # 监测预警 (onemap.monitoring): the broker the server subscribes to at start, and where warnings go out.
    node_id: str = Field("local", pattern=r"^[A-Za-z0-9_-]{1,32}$",
                         description="ASCII id of this node in MQTT topics and client ids (e.g. 341799)")
    mqtt_url: str = Field("mqtt://127.0.0.1:1883", description="MQTT broker (Mosquitto): mqtt://host:port")
    mqtt_username: str = Field("", description="MQTT user name (empty: anonymous)")
    mqtt_password: SecretStr = Field(SecretStr(""), description="MQTT password")
    monitoring_subscribe: bool = Field(True, description="Subscribe to onemap/<node_id>/monitoring/# as the server "
                                                         "starts (one process of the node consumes)")
    warning_rules: Path | None = Field(None, description="A province's own 预警规则 YAML instead of the packaged one")
    warning_sweep: str = Field("30 2 * * *", description="预警巡检 schedule (cron, node time zone): the indicator and "
                                                         "trend rules over every watched region; empty: never")
    warning_webhooks: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="URLs every new warning is POSTed to (JSON), comma-separated")

    @property
    def mqtt_topic_prefix(self) -> str:
        """The topics of this node's monitoring messages: ``<prefix>/patches|events|values``."""
        return f"onemap/{self.node_id}/monitoring"

    @field_validator("warning_webhooks", mode="before")
    @classmethod
    def _url_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origin_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        """A zone the tz database knows (``Asia/Shanghai``, ``Asia/Urumqi`` …)."""
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"未知的时区 ONEMAP_TIME_ZONE={value!r},应为 IANA 时区名,如 Asia/Shanghai") from None
        return value

    @field_validator("qc_extra", mode="before")
    @classmethod
    def _split_paths(cls, value: object) -> object:
        """``ONEMAP_QC_EXTRA`` is a path list like ``PATH`` (``a.yaml:b.csv``), not JSON."""
        if isinstance(value, str):
            return [Path(p.strip()) for p in value.split(os.pathsep) if p.strip()]
        return value

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

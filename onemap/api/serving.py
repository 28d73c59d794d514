"""How the server serves: worker processes and the short-lived caches of the request path.

Every value is a setting (``ONEMAP_`` environment variables or ``.env``) with a documented default;
``docs/services.md`` explains the trade-offs. A cache time of 0 switches that cache off.
"""

from __future__ import annotations

import os

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _cpu_count() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


class ServeSettings(BaseSettings):
    """Throughput settings of ``onemap serve``."""

    model_config = SettingsConfigDict(env_prefix="ONEMAP_", env_file=".env", extra="ignore")

    workers: int = Field(default_factory=_cpu_count, ge=1, description="服务进程数(默认等于 CPU 核数)")
    auth_cache_seconds: float = Field(
        5.0, ge=0, description="会话与权限缓存时间(秒);退出登录、账号或角色变更时立即失效")
    catalog_cache_seconds: float = Field(
        1.0, ge=0, description="瓦片快速通道使用的数据资源目录快照的有效时间(秒)")
    store_pool_size: int = Field(8, ge=0, description="每个进程保留的已打开存储连接数")
    access_log: bool = Field(
        False, description="逐请求访问日志;默认关闭(吞吐量约降三分之一;安全相关读取见审计日志)")
    worker_start_seconds: int = Field(
        60, ge=5, description="等待服务进程启动(导入依赖、连接存储)的时限(秒);超时的进程会被重启")
    records_url: str | None = Field(None, description="应用记录库地址(默认 <data_dir>/records.sqlite)")
    max_in_flight: int = Field(
        16, ge=1, description="每个服务进程同时处理的请求数上限;超出时立即答复 503 与 Retry-After"
                              "(健康检查与已缓存瓦片不计入)")
    max_in_flight_per_client: int = Field(
        12, ge=0, description="每个客户端(地址与登录凭据)在一个服务进程中同时处理的请求数上限;超出时答复 429 与 "
                             "Retry-After,一个客户端的突发请求不再挤占其他用户(0 表示不限)")
    overload_retry_seconds: int = Field(2, ge=1, le=60, description="过载答复中 Retry-After 建议的等待秒数")
    warm_review: bool = Field(
        True, description="服务进程启动后在后台读入合规性审查所需的控制线、现状与规划用地图层,首批审查请求不再等待读取")


def get_serve_settings() -> ServeSettings:
    """The settings from the environment."""
    return ServeSettings()

"""A report written for one request and answered as a download (PDF or DOCX), nothing kept on the server."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.responses import Response

from onemap.reporting import MEDIA_TYPES


def report_download(data: Any, writers: dict[str, Callable[[Any, Path], None]], format: str,
                    filename: str) -> Response:
    """``writers[format]`` writes ``data`` to a temporary file, answered as ``filename.<format>``."""
    with tempfile.TemporaryDirectory(prefix="onemap-report-") as folder:
        path = Path(folder) / f"report.{format}"
        writers[format](data, path)
        content = path.read_bytes()
    name = quote(f"{filename}.{format}")
    return Response(content, media_type=MEDIA_TYPES[format],
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"})

"""What the commands that keep records share: the node's records database, opened for one command."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from sqlalchemy.engine import Engine

from onemap.cli.progress import console
from onemap.errors import OnemapError

T = TypeVar("T")


def console_actor() -> str:
    """Who a change made at the console is recorded as."""
    return f"console:{getpass.getuser()}"


def open_engine(records: str | None) -> Engine:
    """The records database ``records`` (default: the node's own, ONEMAP_DATA_DIR), migrated."""
    from onemap.config import get_settings
    from onemap.records import open_records
    from onemap.records.database import default_records_url

    return open_records(records or default_records_url(get_settings()))


@contextmanager
def records_session(records: str | None, load: Callable[[Engine], T]) -> Iterator[tuple[Engine, T]]:
    """The records engine and what ``load`` makes of it; an error is printed in Chinese (exit code 2)."""
    engine = None
    try:
        engine = open_engine(records)
        yield engine, load(engine)
    except OnemapError as error:
        console.print(f"[red]错误:{error.message_zh}[/red]")
        raise typer.Exit(code=2) from error
    finally:
        if engine is not None:
            engine.dispose()

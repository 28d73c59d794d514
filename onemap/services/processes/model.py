"""A process (OGC API Processes): a registered function with its description, permission and inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from onemap.store import Store

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from onemap.security import SecuritySettings, User

Progress = Callable[[int, str], None]  # percent 0–100, a Chinese message


@dataclass(frozen=True)
class RunContext:
    """What a running process may use besides the store: where to write files, how to report progress."""

    job_id: str
    out_dir: Path  # files of this job's outputs (created on demand)
    progress: Progress
    # Who runs it and the records database: processes that keep records (合规性审查) or check rights per layer.
    user: User | None = None
    records: Engine | None = None
    security: SecuritySettings | None = None


@dataclass(frozen=True)
class Process:
    """One process: id, Chinese title and description, inputs/outputs (OGC process description), permission.

    ``layer_inputs`` names the inputs that are layer names (access is checked on each before a job is
    accepted and again when it runs). ``run(store, inputs, ctx)`` returns a JSON-ready dict of outputs;
    an output whose value is ``{"href": "file:NAME"}`` is a file in ``ctx.out_dir`` served with the results.
    ``workload(store, inputs)``, when given, replaces the layer-input feature count that decides whether a
    synchronous request runs as a job.
    """

    id: str
    title: str
    description: str
    permission: str
    inputs: dict[str, dict[str, Any]]
    outputs: dict[str, dict[str, Any]]
    run: Callable[[Store, dict[str, Any], RunContext], dict[str, Any]]
    layer_inputs: tuple[str, ...] = ()
    version: str = "1.0.0"
    keywords: tuple[str, ...] = field(default_factory=tuple)
    # The process's own estimate of the features it reads (else the feature count of its layer inputs).
    workload: Callable[[Store, dict[str, Any]], int] | None = None
    # The layer versions a run reads, as (layer, version, as_of) (else each layer input, current or as of the
    # ``as_of`` input): each is decided on that version's own security level before the run is accepted.
    reads: Callable[[dict[str, Any]], list[tuple[str, int | None, date | None]]] | None = None

    def summary(self) -> dict[str, Any]:
        """The process summary of the process list."""
        return {"id": self.id, "title": self.title, "description": self.description, "version": self.version,
                "keywords": list(self.keywords), "jobControlOptions": ["sync-execute", "async-execute", "dismiss"],
                "outputTransmission": ["value", "reference"]}

    def description_document(self) -> dict[str, Any]:
        """The full process description (inputs and outputs with JSON schemas)."""
        return {**self.summary(), "inputs": self.inputs, "outputs": self.outputs,
                "onemap:permission": self.permission}

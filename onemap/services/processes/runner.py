"""The job runner: a small pool of worker threads in the server that execute jobs from the records database.

On start it re-queues the jobs a stopped server left ``accepted`` or ``running`` (a running job restarts
from scratch: processes are pure functions of the store and their inputs). Progress goes to the job row;
a job dismissed meanwhile stops at its next progress report. The same :meth:`JobRunner.run_job` serves
synchronous execution in the request's thread.
"""

from __future__ import annotations

import logging
import queue
import threading
from pathlib import Path

from sqlalchemy import Engine

from onemap.errors import OnemapError
from onemap.security import SecuritySettings, clock
from onemap.security.users import get_user
from onemap.services.processes import jobs
from onemap.services.processes.access import authorize
from onemap.services.processes.model import RunContext
from onemap.services.processes.registry import get_process
from onemap.store import open_store

log = logging.getLogger(__name__)


class Dismissed(Exception):
    """The job was dismissed while it ran."""


class JobRunner:
    """Worker threads executing queued jobs; outputs' files go to ``out_root/<job id>/``."""

    def __init__(self, store_url: str, records: Engine, out_root: Path, *, workers: int = 2,
                 security: SecuritySettings | None = None) -> None:
        self.store_url, self.records, self.out_root = store_url, records, Path(out_root)
        self.security, self.workers = security, workers
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._threads: list[threading.Thread] = []

    def start(self) -> list[str]:
        """Start the workers and re-queue unfinished jobs; returns the recovered job ids."""
        recovered = jobs.unfinished_jobs(self.records)
        for job_id in recovered:
            jobs.update_job(self.records, job_id, only_if=jobs.UNFINISHED, status=jobs.ACCEPTED, progress=0,
                            message="服务重启后重新排队", started=None)
            self._queue.put(job_id)
        if recovered:
            log.info("re-queued %d unfinished jobs", len(recovered))
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"onemap-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return recovered

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers after their current job (queued jobs stay ``accepted`` for the next start)."""
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()

    def submit(self, job_id: str) -> None:
        """Queue an accepted job."""
        self._queue.put(job_id)

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            try:
                self.run_job(job_id)
            except Exception:  # a worker must survive anything one job does
                log.exception("job %s crashed its worker", job_id)

    def run_job(self, job_id: str, *, raise_errors: bool = False) -> jobs.Job:
        """Run one job to its end (successful, failed or dismissed) and return its final row.

        With ``raise_errors`` (synchronous execution) a failure is recorded and then re-raised.
        """
        if not jobs.update_job(self.records, job_id, only_if=(jobs.ACCEPTED,), status=jobs.RUNNING,
                               progress=0, message="正在处理", started=clock.now()):
            return jobs.load_job(self.records, job_id)  # dismissed before it started
        job = jobs.load_job(self.records, job_id)
        try:
            outputs = self._execute(job)
        except Dismissed:
            return jobs.load_job(self.records, job_id)
        except OnemapError as error:
            log.warning("job %s (%s) failed: %s", job_id, job.process, error.log)
            self._finish(job_id, jobs.FAILED, error.message_zh)
            if raise_errors:
                raise
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.process)
            self._finish(job_id, jobs.FAILED, "处理失败:服务内部错误,请联系管理员")
            if raise_errors:
                raise
        else:
            self._finish(job_id, jobs.SUCCESSFUL, "处理完成", outputs=outputs)
        return jobs.load_job(self.records, job_id)

    def _finish(self, job_id: str, status: str, message: str, outputs: dict | None = None) -> None:
        values = {"status": status, "message": message, "finished": clock.now()}
        if status == jobs.SUCCESSFUL:
            values.update(progress=100, outputs=outputs)
        jobs.update_job(self.records, job_id, only_if=(jobs.RUNNING,), **values)

    def _execute(self, job: jobs.Job) -> dict:
        process = get_process(job.process)
        with self.records.connect() as conn:
            user = get_user(conn, job.owner)
        last = [-1]

        def progress(percent: int, message: str) -> None:
            percent = max(0, min(99, int(percent)))
            if percent == last[0]:
                return
            last[0] = percent
            if not jobs.update_job(self.records, job.id, only_if=(jobs.RUNNING,), progress=percent,
                                   message=message):
                raise Dismissed(job.id)

        with open_store(self.store_url) as store:
            inputs = authorize(store, process, job.inputs, user, self.security)  # rights may have changed
            outputs = process.run(store, inputs, RunContext(job.id, self.out_root / job.id, progress, user=user,
                                                              records=self.records, security=self.security))
        progress(99, "写出结果")
        return outputs

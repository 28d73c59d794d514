"""The job runner: a small pool of worker threads in the server that execute jobs from the records database.

On start it re-queues the jobs a stopped server left ``accepted`` or ``running`` (a running job restarts
from scratch: processes are pure functions of the store and their inputs). Progress goes to the job row;
a job dismissed meanwhile stops at its next progress report. The same :meth:`JobRunner.run_job` serves
synchronous execution in the request's thread.

One runner per node (单实例执行): with several server processes (``onemap serve --workers N``) only
the process holding the runner lease of the records database — an exclusive ``flock`` on
``<records.sqlite>.runner-lock``, or a PostgreSQL advisory lock, both released when the process ends —
recovers and executes queued jobs. The others mark a job they
accept as queued (:data:`QUEUED`) and the lease holder picks it up within ``poll_seconds``; they retry the
lease every few seconds, so a new holder takes over when the old one stops. A job only ever moves
from ``accepted`` to ``running`` once (a conditional update), so no job runs twice.
"""

from __future__ import annotations

import fcntl
import logging
import os
import queue
import threading
from pathlib import Path

from sqlalchemy import Engine, select, text

from onemap.errors import OnemapError
from onemap.records.tables import jobs as job_table
from onemap.security import SecuritySettings, clock
from onemap.security.users import get_user
from onemap.services.processes import jobs
from onemap.services.processes.access import authorize
from onemap.services.processes.model import RunContext
from onemap.services.processes.registry import get_process
from onemap.services.processes.registry import load as load_processes
from onemap.store import open_store

log = logging.getLogger(__name__)


QUEUED = "排队等待执行"  # the message of an accepted job waiting for the runner (not a synchronous one)


class FileLease:
    """An exclusive, non-blocking ``flock`` on a file: held by one process of the machine at a time."""

    def __init__(self, path: Path) -> None:
        self.path, self._fd = Path(path), None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> bool:
        """Take the lease if free; whether this process holds it now."""
        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd
        return True

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


class AdvisoryLease:
    """A PostgreSQL session advisory lock per records schema, held on a connection of its own."""

    def __init__(self, engine: Engine) -> None:
        self.engine, self._conn = engine, None

    @property
    def held(self) -> bool:
        return self._conn is not None

    def acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = self.engine.connect()
        taken = conn.execute(text("SELECT pg_try_advisory_lock(hashtext(current_schema() || '.job_runner'))")).scalar()
        conn.commit()
        if not taken:
            conn.close()
            return False
        self._conn = conn
        return True

    def release(self) -> None:
        if self._conn is not None:
            self._conn.close()  # the session ends: PostgreSQL releases the lock
            self._conn = None


def runner_lease(records: Engine, out_root: Path) -> FileLease | AdvisoryLease:
    """The lease of the records database's job queue: one runner per queue, whatever the processes."""
    url = records.url
    if url.get_backend_name() == "postgresql":
        return AdvisoryLease(records)
    if url.database and url.database != ":memory:":
        return FileLease(Path(f"{url.database}.runner-lock"))
    return FileLease(out_root / ".runner.lock")


class Dismissed(Exception):
    """The job was dismissed while it ran."""


class JobRunner:
    """Worker threads executing queued jobs; outputs' files go to ``out_root/<job id>/``."""

    def __init__(self, store_url: str, records: Engine, out_root: Path, *, workers: int = 2,
                 security: SecuritySettings | None = None, poll_seconds: float = 1.0,
                 lease_retry_seconds: float = 5.0) -> None:
        self.store_url, self.records, self.out_root = store_url, records, Path(out_root)
        self.security, self.workers = security, workers
        self.poll_seconds, self.lease_retry_seconds = poll_seconds, lease_retry_seconds
        self.lease = runner_lease(records, self.out_root)
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._queued: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    @property
    def active(self) -> bool:
        """Whether this process holds the runner lease (and so executes queued jobs)."""
        return self.lease.held

    def start(self) -> list[str]:
        """Take the lease if free and start; returns the recovered job ids (none without the lease)."""
        self._stopping.clear()
        load_processes()  # whole before a worker looks a recovered job's process up
        recovered = self._lead() if self.lease.acquire() else []
        watcher = threading.Thread(target=self._watch, name="onemap-job-watch", daemon=True)
        watcher.start()
        self._threads.append(watcher)
        return recovered

    def _lead(self) -> list[str]:
        """Become the runner: re-queue unfinished jobs and start the workers."""
        recovered = jobs.unfinished_jobs(self.records)
        for job_id in recovered:
            jobs.update_job(self.records, job_id, only_if=jobs.UNFINISHED, status=jobs.ACCEPTED, progress=0,
                            message="服务重启后重新排队", started=None)
            self._enqueue(job_id)
        if recovered:
            log.info("re-queued %d unfinished jobs", len(recovered))
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"onemap-job-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return recovered

    def _watch(self) -> None:
        """Holder: pick up jobs queued by other processes. Others: try to take the lease now and then."""
        while not self._stopping.wait(self.poll_seconds if self.active else self.lease_retry_seconds):
            try:
                if self.active:
                    for job_id in self._queued_elsewhere():
                        self._enqueue(job_id)
                elif self.lease.acquire():
                    log.info("process %d took over the job runner", os.getpid())
                    self._lead()
            except Exception:  # the next round tries again
                log.exception("job runner: watching the queue failed")

    def _queued_elsewhere(self) -> list[str]:
        query = (select(job_table.c.id).where(job_table.c.status == jobs.ACCEPTED, job_table.c.message == QUEUED)
                 .order_by(job_table.c.created))
        with self.records.connect() as conn:
            return [row.id for row in conn.execute(query)]

    def _enqueue(self, job_id: str) -> None:
        with self._lock:
            if job_id in self._queued:
                return
            self._queued.add(job_id)
        self._queue.put(job_id)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the workers after their current job (queued jobs stay ``accepted`` for the next start)."""
        self._stopping.set()
        for _ in range(self.workers if self.active else 0):
            self._queue.put(None)
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
        self.lease.release()

    def submit(self, job_id: str) -> None:
        """Queue an accepted job (run here if this process holds the lease, else by the holder)."""
        jobs.update_job(self.records, job_id, only_if=(jobs.ACCEPTED,), message=QUEUED)
        if self.active:
            self._enqueue(job_id)

    def _work(self) -> None:
        while (job_id := self._queue.get()) is not None:
            try:
                self.run_job(job_id)
            except Exception:  # a worker must survive anything one job does
                log.exception("job %s crashed its worker", job_id)
            with self._lock:
                self._queued.discard(job_id)

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

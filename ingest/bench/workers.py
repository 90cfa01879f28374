"""Child processes of the benchmark: started with `spawn` (no forked threads or sockets), each signals when it
is ready, reports one result dict, and dies with the benchmark if the benchmark is killed."""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import os
import queue
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.context import SpawnProcess
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any

from ingest.bench.errors import BenchFailed

log = logging.getLogger(__name__)

_CTX = multiprocessing.get_context("spawn")
PR_SET_PDEATHSIG = 1

Result = dict[str, Any]


def die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process when its parent exits, and exit now if the parent is already gone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:
        os._exit(1)


def new_event() -> Event:
    return _CTX.Event()


@dataclass
class Worker:
    """One child process running `target(**kwargs, ready=, results=)`."""

    name: str
    process: SpawnProcess
    ready: Event
    results: Queue[Result]

    @classmethod
    def start(cls, name: str, target: Callable[..., None], **kwargs: Any) -> Worker:
        ready = _CTX.Event()
        results: Queue[Result] = _CTX.Queue()
        process = _CTX.Process(target=_run, args=(target, os.getpid(), ready, results, kwargs), name=name, daemon=True)
        process.start()
        return cls(name, process, ready, results)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.1):
            self._raise_if_dead()
            if time.monotonic() > deadline:
                raise BenchFailed(f"{self.name} was not ready after {timeout:.0f}s")

    def result(self, timeout: float) -> Result:
        deadline = time.monotonic() + timeout
        while True:
            try:
                outcome = self.results.get(timeout=0.2)
            except queue.Empty:
                self._raise_if_dead()
                if time.monotonic() > deadline:
                    raise BenchFailed(f"{self.name} reported nothing after {timeout:.0f}s") from None
                continue
            if outcome.get("error"):
                raise BenchFailed(f"{self.name} failed: {outcome['error']}")
            return outcome

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(5)

    def _raise_if_dead(self) -> None:
        if not self.process.is_alive() and self.results.empty():
            raise BenchFailed(f"{self.name} exited with code {self.process.exitcode}")


def _run(
    target: Callable[..., None],
    parent_pid: int,
    ready: Event,
    results: Queue[Result],
    kwargs: dict[str, Any],
) -> None:
    die_with_parent(parent_pid)
    try:
        target(**kwargs, ready=ready, results=results)
    except Exception as exc:  # reported to the parent, which raises it there
        results.put({"error": f"{type(exc).__name__}: {exc}"})
        ready.set()

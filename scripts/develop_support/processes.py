"""Child processes in their own process groups, stopped together and never left behind."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
import contextlib
import ctypes
import os
from pathlib import Path
import signal
import sys
from typing import IO

STOP_GRACE = 10.0  # seconds a process group gets between SIGTERM and SIGKILL
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the parent dies (Linux only)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    """One started process: the leader of its own process group."""

    def __init__(self, name: str, process: asyncio.subprocess.Process) -> None:
        """Wrap a started process."""
        self.name = name
        self.process = process
        self.pid = process.pid

    @property
    def running(self) -> bool:
        """Whether the process has not exited yet."""
        return self.process.returncode is None

    def signal_group(self, sig: signal.Signals) -> None:
        """Send `sig` to the whole process group (the child and anything it started)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)


class ProcessGroups:
    """Starts children in new sessions and stops them all, in reverse order."""

    def __init__(self) -> None:
        """Start with no children."""
        self.children: list[Child] = []
        self._pumps: list[asyncio.Task[None]] = []

    async def start(
        self,
        name: str,
        argv: Sequence[str],
        *,
        cwd: Path,
        log: Path,
        echo: Callable[[str], bool] | None = None,
        env: dict[str, str] | None = None,
    ) -> Child:
        """Start `argv`; its output goes to `log`, and lines `echo` accepts to stdout."""
        process = await asyncio.create_subprocess_exec(
            *argv,
            cwd=cwd,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            limit=2**20,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
        child = Child(name, process)
        self.children.append(child)
        log.parent.mkdir(parents=True, exist_ok=True)
        handle = log.open("a", encoding="utf-8", errors="replace")
        assert process.stdout is not None
        self._pumps.append(
            asyncio.create_task(_pump(name, process.stdout, handle, echo))
        )
        return child

    async def stop_all(self, grace: float = STOP_GRACE) -> None:
        """SIGTERM every group (newest first), then SIGKILL what is left after `grace`."""
        for child in reversed(self.children):
            if child.running:
                child.signal_group(signal.SIGTERM)
        waits = [child.process.wait() for child in self.children]
        try:
            async with asyncio.timeout(grace):
                await asyncio.gather(*waits)
        except TimeoutError:
            for child in self.children:
                if child.running:
                    print(
                        f"develop: {child.name} did not stop in {grace:.0f} s, killing it"
                    )
        self.kill_all()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(5):
                await asyncio.gather(*(c.process.wait() for c in self.children))
        for pump in self._pumps:
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    def kill_all(self) -> None:
        """SIGKILL every group at once; safe to call from a signal handler or atexit."""
        for child in self.children:
            if child.running:  # an exited leader's pid may belong to someone else now
                child.signal_group(signal.SIGKILL)


async def _pump(
    name: str,
    stream: asyncio.StreamReader,
    log: IO[str],
    echo: Callable[[str], bool] | None,
) -> None:
    """Copy a child's output to its log file, echoing the lines `echo` selects."""
    try:
        while line := await stream.readline():
            text = line.decode(errors="replace")
            log.write(text)
            log.flush()
            if echo is not None and echo(text):
                sys.stdout.write(f"{name} | {text}")
                sys.stdout.flush()
    finally:
        log.close()

"""One writer per store: an advisory lock with an owner record and a heartbeat.

A run that writes a cube (:func:`allysweep.sweep`, ``allysweep run``) holds
:class:`StoreLock` from before it decides what to do with the store until its last write.
Readers (:func:`~allysweep.sweeps.store.open_cube`, ``allysweep info``, the plots) never touch
it.

The lock is the file ``.<store name>.lock`` *beside* the store, in the same directory (the store
itself does not exist yet when a run creates it, and is replaced as a whole by ``--overwrite``:
a lock inside it would be created late and renamed away). It is held with ``flock`` and holds
the owner record, JSON: host, pid, the process start time, the run's start time and command.
While the run lasts a thread touches the file every :data:`HEARTBEAT_SECONDS` (its mtime is the
heartbeat). A run that ends removes the file (while still holding the lock, so a waiting writer
that opened the old file notices and starts again).

A second writer finds the ``flock`` taken and is refused with :class:`StoreLockedError`, whatever
its flags. A lock file that can be locked but still has an owner record was left by a run that
did not end: it is *stale* when its owner is gone on this host (no such pid, or another process
under that pid), or, for an owner on another host (a cluster filesystem whose ``flock`` may not
reach across hosts), when its heartbeat is older than :data:`STALE_SECONDS`. Otherwise the owner
counts as alive and the run is refused. A stale lock is taken over, and the run says so.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shlex
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..exceptions import StoreError

__all__ = [
    "HEARTBEAT_SECONDS",
    "STALE_SECONDS",
    "StoreLock",
    "StoreLockedError",
    "lock_path",
    "read_owner",
]

#: How often a running writer refreshes its heartbeat (the lock file's mtime), in seconds.
HEARTBEAT_SECONDS = float(os.environ.get("ALLYSWEEP_LOCK_HEARTBEAT", "30") or 30)
#: A lock whose owner runs on another host is stale once its heartbeat is this old, in seconds
#: (ten heartbeats: a loaded file server may delay a few).
STALE_SECONDS = float(os.environ.get("ALLYSWEEP_LOCK_STALE", "300") or 300)


class StoreLockedError(StoreError):
    """Another run is writing the store (it holds the lock, or its heartbeat is recent).

    Attributes
    ----------
    owner : dict
        The owner record: ``host``, ``pid``, ``started``, ``command`` (and ``heartbeat_age``,
        seconds since its last heartbeat, where known).
    """

    def __init__(self, message: str, owner: dict[str, Any] | None = None):
        super().__init__(message)
        self.owner = owner or {}

    def __reduce__(self):
        return (type(self), (str(self), self.owner))


def lock_path(store: str | Path) -> Path:
    """The lock file of ``store``: ``.<name>.lock`` in the store's directory."""
    path = Path(store).resolve()
    return path.with_name(f".{path.name}.lock")


def _process_start(pid: int) -> str | None:
    """The kernel's start time of process ``pid`` (clock ticks since boot, from /proc), which
    tells a live owner from another process that got its pid; ``None`` where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def read_owner(store: str | Path) -> dict[str, Any] | None:
    """The owner record of the store's lock file (``None``: no lock file, or no record), with
    ``heartbeat_age``: seconds since its last heartbeat."""
    path = lock_path(store)
    try:
        text = path.read_text()
        age = time.time() - path.stat().st_mtime
    except OSError:
        return None
    try:
        owner = json.loads(text)
    except ValueError:
        return None
    if not isinstance(owner, dict):
        return None
    owner["heartbeat_age"] = max(0.0, age)
    return owner


def describe_owner(owner: dict[str, Any]) -> str:
    """``pid 123 on host h (started ..., command `...`, heartbeat 4 s ago)``."""
    parts = [f"started {owner.get('started', '?')}", f"command `{owner.get('command', '?')}`"]
    if "heartbeat_age" in owner:
        parts.append(f"heartbeat {owner['heartbeat_age']:.0f} s ago")
    return f"pid {owner.get('pid', '?')} on host {owner.get('host', '?')} ({', '.join(parts)})"


def _stale_reason(owner: dict[str, Any], host: str) -> str | None:
    """Why a recorded owner whose ``flock`` could be taken is gone (``None``: it may be alive)."""
    pid = owner.get("pid")
    if owner.get("host") == host and isinstance(pid, int):
        if not _pid_alive(pid):
            return "no longer running"
        start = owner.get("process_start")
        if start is not None and _process_start(pid) not in (None, start):
            return "no longer running (its pid belongs to another process now)"
        return None
    age = float(owner.get("heartbeat_age", 0.0))
    if age > STALE_SECONDS:
        return f"its heartbeat is {age:.0f} s old (stale after {STALE_SECONDS:.0f} s)"
    return None


@dataclass
class StoreLock:
    """The write lock of one store, held by one run (use as a context manager, or
    :meth:`acquire` / :meth:`release`).

    Parameters
    ----------
    store : path
        The store (it need not exist yet).
    command : str, optional
        What the owner record names as the command (default: this process's command line).
    say : callable, optional
        Called with one line when a stale lock is taken over (default: print on stderr).
    """

    store: str | Path
    command: str | None = None
    say: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        self.path = lock_path(self.store)
        self._fd: int | None = None
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        #: The owner record of a stale lock taken over by this run (else ``None``).
        self.took_over: dict[str, Any] | None = None

    # ------------------------------------------------------------------ acquire / release
    def acquire(self) -> StoreLock:
        """Take the lock, or raise :class:`StoreLockedError` naming the owner.

        Raises
        ------
        StoreLockedError
            Another run holds the lock, or its owner (on another host) has a recent heartbeat.
        StoreError
            The lock file cannot be created (e.g. the directory is not writable).
        """
        host = socket.gethostname()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise StoreError(f"cannot write {self.store}: {self.path.parent}: {err.strerror}") from None
        for _ in range(100):
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as err:
                raise StoreError(f"cannot lock {self.store}: {self.path}: {err.strerror}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as err:
                os.close(fd)
                if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise StoreError(f"cannot lock {self.store}: {self.path}: {err.strerror}") from None
                raise self._refusal(read_owner(self.store) or {}) from None
            # The file may have been removed (and another one made) between open and flock by a
            # run that was ending: then this lock is on a file nobody else will look at.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if not same:
                os.close(fd)
                continue
            owner = read_owner(self.store)
            if owner:
                reason = _stale_reason(owner, host)
                if reason is None:
                    os.close(fd)
                    raise self._refusal(owner)
                self.took_over = {**owner, "reason": reason}
            self._fd = fd
            self._write_record(host)
            if self.took_over is not None:
                (self.say or _stderr)(
                    f"allysweep: taking over the stale lock of {self.store}: its owner, "
                    f"{describe_owner(self.took_over)}, is {reason}"
                )
            self._start_heartbeat()
            return self
        raise StoreError(f"cannot lock {self.store}: its lock file {self.path} keeps being replaced")

    def _refusal(self, owner: dict[str, Any]) -> StoreLockedError:
        who = describe_owner(owner) if owner else "another process (no owner record yet)"
        return StoreLockedError(
            f"{self.store} is being written by another run: {who}; refusing to write it too "
            f"(nothing was changed). Wait for that run to end, or stop it (lock: {self.path})",
            owner,
        )

    def _write_record(self, host: str) -> None:
        assert self._fd is not None
        record = {
            "host": host,
            "pid": os.getpid(),
            "process_start": _process_start(os.getpid()),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": self.command or _command(),
            "store": str(Path(self.store).resolve()),
        }
        data = json.dumps(record).encode()
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, data, 0)
        os.fsync(self._fd)

    def _start_heartbeat(self) -> None:
        self._stop.clear()

        def beat() -> None:
            while not self._stop.wait(HEARTBEAT_SECONDS):
                with contextlib.suppress(OSError):
                    os.utime(self.path)

        self._beat = threading.Thread(target=beat, name="allysweep-lock-heartbeat", daemon=True)
        self._beat.start()

    def release(self) -> None:
        """Remove the lock file and release the lock (nothing happens if it is not held)."""
        if self._fd is None:
            return
        self._stop.set()
        if self._beat is not None:
            self._beat.join(timeout=5)
        with contextlib.suppress(OSError):
            os.unlink(self.path)  # while locked: a writer waiting on the old file starts again
        with contextlib.suppress(OSError):
            os.close(self._fd)
        self._fd = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._fd is not None

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()


def _command() -> str:
    """This process's command line as its user typed it: ``allysweep run ...`` for the CLI
    (also when started as ``python -m allysweep.cli``), else the Python program and its
    arguments."""
    argv = [str(a) for a in sys.argv] or ["python"]
    first = Path(argv[0])
    if first.name == "allysweep" or (first.name == "__main__.py" and "allysweep" in first.parts):
        return shlex.join(["allysweep", *argv[1:]])
    return shlex.join(["python", *argv]) if argv[0] else "python"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr)

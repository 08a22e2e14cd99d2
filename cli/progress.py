"""Progress on long commands: the stage at work behind a spinner, and each finished stage with its time.

Written to standard error through rich, so standard output stays the command's
result (a report, a table, an export) and can be piped. Where standard error
is no terminal (a log, CI), the spinner is left out and each stage is one line
once it ends, so a slow stage is still visible afterwards.
"""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.status import Status
from rich.text import Text


class StageProgress:
    """Call with a stage's name as it begins; use as a context manager around the work."""

    def __init__(self, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True, highlight=False)
        self._status: Status | None = None
        self._stage: str | None = None
        self._started = 0.0

    def __enter__(self) -> StageProgress:
        if self.console.is_terminal:
            self._status = self.console.status("", spinner="dots")
            self._status.start()
        return self

    def __call__(self, stage: str) -> None:
        self._finish("✓", "green")
        self._stage, self._started = stage, time.monotonic()
        if self._status is not None:
            self._status.update(Text(f"{stage} …"))

    def _finish(self, mark: str, style: str) -> None:
        if self._stage is None:
            return
        seconds = time.monotonic() - self._started
        self.console.print(Text.assemble((mark, style), f" {self._stage} ({seconds:.1f} s)"))
        self._stage = None

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self._status is not None:
            self._status.stop()
        if kind is None:
            self._finish("✓", "green")
        else:
            self._finish("✗", "red")

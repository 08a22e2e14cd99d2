"""Errors that name where in which document the input went wrong."""

from __future__ import annotations

from pathlib import Path


class DocumentError(ValueError):
    """A document cannot be read as a member of the family; carries file and line."""

    def __init__(self, path: Path | str, line: int | None, message: str) -> None:
        self.path = Path(path)
        self.line = line
        self.message = message
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {message}")

"""The built store on disk: written whole by a build, switched in atomically, opened by readers.

Layout: the store path is a symbolic link to one build directory beside it::

    <store> -> .<store>.build-<stamp>/
    .<store>.build-<stamp>/db/          pyoxigraph (RocksDB) files
    .<store>.build-<stamp>/dataset.nq   the same quads as N-Quads, for loading into memory
    .<store>.build-<stamp>/build.json   what the build read and wrote (see :class:`BuildInfo`)

A build writes ``.<store>.staging-<pid>-…``, renames it to a build directory
when everything succeeded, and replaces the link with one ``rename`` (a new
link made beside it first), so at every moment the path names a whole build:
the old one until the rename, the new one after. A build killed at any point
leaves the previous store served; what it left behind (its staging directory,
a link not yet renamed, builds no link names) is removed by the next build.
A store written before this layout (a plain directory) is moved aside and
linked once; a build killed in that step is restored by the next one.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from pyoxigraph import RdfFormat, Store

DB_DIR = "db"
DUMP_FILE = "dataset.nq"
INFO_FILE = "build.json"


class StoreMissing(FileNotFoundError):
    """No built store where one was expected; the message says how to build one."""


@dataclass
class BuildInfo:
    built_at: str
    version: str
    documents: list[dict[str, str]] = field(default_factory=list)
    graphs: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @property
    def triples(self) -> int:
        return sum(self.graphs.values())


def default_store_path() -> Path:
    return Path(os.environ.get("HEALTHKG_STORE", "var/store"))


def read_info(path: Path) -> BuildInfo:
    info_file = Path(path) / INFO_FILE
    if not info_file.is_file():
        raise StoreMissing(f"no built store at {path} (run `healthkg build --store {path}`)")
    return BuildInfo(**json.loads(info_file.read_text(encoding="utf-8")))


def open_store(path: Path, *, in_memory: bool = True) -> Store:
    """Open a built store; in memory by default, where analytical queries run fastest.

    The on-disk store is opened read-only, so several readers and a running
    build never contend for it. Memory is filled from the N-Quads dump with
    ``load``, which leaves less resident and builds a layout that is faster to
    read than ``bulk_load`` (whose parallel parser's buffers stay with the
    allocator) or a copy from RocksDB (still made for stores built before the
    dump existed); figures in bench/RESULTS.md.
    """
    read_info(path)
    dump = Path(path) / DUMP_FILE
    if in_memory and dump.is_file():
        memory = Store()
        memory.load(path=str(dump), format=RdfFormat.N_QUADS)
        return memory
    on_disk = Store.read_only(str(Path(path) / DB_DIR))
    if not in_memory:
        return on_disk
    memory = Store()
    memory.bulk_extend(on_disk.quads_for_pattern(None, None, None, None))
    return memory


def _leftover_owner(name: str) -> int | None:
    """The pid a staging directory or temporary link names (``…-<pid>-…``), if any."""
    for part in name.split("-"):
        if part.isdigit():
            return int(part)
    return None


def _alive(pid: int | None) -> bool:
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean(target: Path) -> None:
    """Remove what earlier builds left beside ``target``: builds it does not name, dead builds' staging and links."""
    current = os.path.realpath(target) if target.is_symlink() else None
    for entry in target.parent.glob(f".{target.name}.*"):
        kind = entry.name[len(target.name) + 2:].split("-", 1)[0]
        if kind == "build" and str(entry.resolve()) != current:
            shutil.rmtree(entry, ignore_errors=True)
        elif kind in ("staging", "link") and not _alive(_leftover_owner(entry.name[len(target.name) + 2:])):
            if entry.is_symlink() or entry.is_file():
                entry.unlink(missing_ok=True)
            else:
                shutil.rmtree(entry, ignore_errors=True)


def _adopt_plain_directory(target: Path) -> None:
    """Turn a store written before the linked layout into a linked build (restoring one a killed build moved)."""
    moved = target.with_name(f".{target.name}.build-legacy")
    if not target.exists() and not target.is_symlink() and moved.is_dir():
        os.symlink(moved.name, target)  # a build killed between the two steps below: link what it moved
        return
    if target.is_dir() and not target.is_symlink():
        target.rename(moved)
        os.symlink(moved.name, target)


def write_store(path: Path, nquads: bytes, info: BuildInfo) -> None:
    """Write a new store from N-Quads and switch ``path`` to it atomically (see the module docstring)."""
    target = Path(os.path.abspath(path))
    target.parent.mkdir(parents=True, exist_ok=True)
    _adopt_plain_directory(target)
    _clean(target)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-{os.getpid()}-", dir=target.parent))
    try:
        store = Store(str(staging / DB_DIR))
        store.bulk_load(nquads, format=RdfFormat.N_QUADS)
        store.flush()
        del store
        gc.collect()  # pyoxigraph closes RocksDB when the object is dropped
        (staging / DUMP_FILE).write_bytes(nquads)
        (staging / INFO_FILE).write_text(json.dumps(asdict(info), ensure_ascii=False, indent=2), encoding="utf-8")
        _sync_tree(staging)
        build = target.with_name(f".{target.name}.build-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}-"
                                 f"{staging.name.rsplit('-', 1)[-1]}")
        staging.rename(build)
        link = target.with_name(f".{target.name}.link-{os.getpid()}")
        link.unlink(missing_ok=True)
        os.symlink(build.name, link)
        os.replace(link, target)  # the one step that switches readers from the old build to the new
        _sync_directory(target.parent)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    _clean(target)


def _sync_tree(root: Path) -> None:
    """Flush a build's files and directories to disk before it is linked, so a crash cannot link a hole."""
    for directory, _, files in os.walk(root):
        for name in files:
            descriptor = os.open(os.path.join(directory, name), os.O_RDONLY)
            try:
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
        _sync_directory(Path(directory))


def _sync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)

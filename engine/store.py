"""The built store on disk: written whole by a build, swapped in atomically, opened by readers.

Layout of a store directory::

    <store>/db/          pyoxigraph (RocksDB) files
    <store>/dataset.nq   the same quads as N-Quads, for loading into memory
    <store>/build.json   what the build read and wrote (see :class:`BuildInfo`)

A build writes a sibling staging directory and renames it into place only when
everything succeeded, so a failed build leaves the previous store untouched.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import tempfile
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


def write_store(path: Path, nquads: bytes, info: BuildInfo) -> None:
    """Write a new store from N-Quads and swap it in place of ``path`` atomically."""
    target = Path(path).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        store = Store(str(staging / DB_DIR))
        store.bulk_load(nquads, format=RdfFormat.N_QUADS)
        store.flush()
        del store
        gc.collect()  # pyoxigraph closes RocksDB when the object is dropped
        (staging / DUMP_FILE).write_bytes(nquads)
        (staging / INFO_FILE).write_text(json.dumps(asdict(info), ensure_ascii=False, indent=2), encoding="utf-8")
        retired = None
        if target.exists():
            retired = target.with_name(f".{target.name}.retired-{os.getpid()}")
            target.rename(retired)
        staging.rename(target)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)

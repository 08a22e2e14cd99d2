"""The store is switched atomically: a build killed with SIGKILL at any moment leaves a servable store,
and the next build removes what the killed one left behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from healthkg.engine.store import BuildInfo, open_store, read_info, write_store

# Writes stores in a loop, each with its number as version and one quad per number, as fast as it can.
WRITER = """
import sys
from pathlib import Path
from healthkg.engine.store import BuildInfo, write_store
path = Path(sys.argv[1])
for number in range(int(sys.argv[2]), 10**6):
    quads = "".join(f'<http://e/s{i}> <http://e/p> "{number}" <http://e/g> .\\n' for i in range(2000))
    write_store(path, quads.encode(), BuildInfo(built_at="2026-01-01T00:00:00+00:00", version=str(number)))
    print(number, flush=True)
"""


def _servable(path: Path) -> int:
    """The version of the store at ``path``, after checking that it opens and holds what that version wrote."""
    info = read_info(path)
    store = open_store(path)
    values = {quad.object.value for quad in store}
    assert values == {info.version} and len(store) == 2000
    return int(info.version)


def test_a_build_killed_at_any_moment_leaves_a_servable_store(tmp_path: Path) -> None:
    path = tmp_path / "store"
    quads = "".join(f'<http://e/s{i}> <http://e/p> "0" <http://e/g> .\n' for i in range(2000))
    write_store(path, quads.encode(), BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="0"))
    rng = random.Random(11)
    served = 0
    number = 1
    for _ in range(12):
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(number)], stdout=subprocess.PIPE,
                                   text=True)
        time.sleep(0.4 + rng.random() * 0.6)  # interpreter start, then somewhere inside one of the writes
        os.kill(process.pid, signal.SIGKILL)
        written = [int(line) for line in (process.communicate()[0] or "").split()]
        now = _servable(path)
        assert now >= max(written, default=served) and now >= served  # never an older build than one finished
        served = now
        number = max(written, default=number) + 1
    assert served > 0, "no write finished between kills: the test did not exercise a switch"
    leftovers = {entry.name for entry in tmp_path.iterdir()} - {"store"}
    assert leftovers, "the killed writers left nothing behind: the cleanup below is not exercised"
    write_store(path, b'<http://e/s> <http://e/p> "1" <http://e/g> .\n',
                BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="final"))
    assert read_info(path).version == "final"
    assert [entry.name for entry in tmp_path.iterdir() if entry.name != "store"] == [os.readlink(path)]


def test_a_store_of_the_old_layout_is_adopted_and_a_killed_adoption_restored(tmp_path: Path) -> None:
    path = tmp_path / "store"
    path.mkdir()
    legacy = tmp_path / ".store.build-legacy"
    write_store(tmp_path / "scratch", b'<http://e/s> <http://e/p> "x" <http://e/g> .\n',
                BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="old"))
    for entry in (tmp_path / "scratch").resolve().iterdir():
        entry.rename(path / entry.name)  # a plain directory holding a build, as builds wrote them before
    assert read_info(path).version == "old" and not path.is_symlink()
    path.rename(legacy)  # a build killed after moving the old directory aside, before linking it
    write_store(path, b'<http://e/s> <http://e/p> "y" <http://e/g> .\n',
                BuildInfo(built_at="2026-01-01T00:00:00+00:00", version="new"))
    assert path.is_symlink() and read_info(path).version == "new" and not legacy.exists()

"""The query engine: the store, where queries run, and what their answers are written as.

Nothing here speaks HTTP; the server and the command line call into it. The
server's one entry point is :class:`Engine` (``Engine.run(Query) -> Answer``).
"""

from healthkg.engine.engine import Engine, EngineSettings
from healthkg.engine.requests import Answer, GraphRead, Query

__all__ = ["Answer", "Engine", "EngineSettings", "GraphRead", "Query"]

"""The query engine: the store, where queries run, and what their answers are written as.

Nothing here speaks HTTP; the server and the command line call into it.
"""

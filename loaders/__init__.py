"""Loaders: policy documents in, RDF out, each fact pointing at the line it came from."""

from healthkg.loaders.errors import DocumentError

__all__ = ["DocumentError"]

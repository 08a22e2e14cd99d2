"""Bundled inputs: the documents read by default and curated data files."""

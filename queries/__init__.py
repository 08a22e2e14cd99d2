"""Named SPARQL queries (``*.rq``) and their catalogue."""

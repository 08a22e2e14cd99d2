"""Named SPARQL queries (``*.rq``), their catalogue, and the store and endpoints they run on."""

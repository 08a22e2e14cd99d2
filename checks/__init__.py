"""The build's gates and the audit: reasoning, SHACL validation, QC queries, and what a reader should check."""

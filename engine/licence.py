"""The terms the graph's data are published under, written into every export that has a place for them.

The data (what the loaders derive from the documents and the curated facts)
are CC BY 4.0. The documents themselves are Japanese government publications,
published under the 政府標準利用規約（第2.0版） (Government of Japan Standard
Terms of Use 2.0), which are compatible with CC BY 4.0; the code is MIT
(``LICENSE``). One module holds the wording so that exports, the README and a
server's dataset description can say the same thing.
"""

from __future__ import annotations

DATA_LICENSE = "https://creativecommons.org/licenses/by/4.0/"
DATA_LICENSE_NAME = "CC BY 4.0"
DATA_LICENSE_SPDX = "CC-BY-4.0"
SOURCE_TERMS_NAME = ("政府標準利用規約（第2.0版） (Government of Japan Standard Terms of Use 2.0, "
                     "compatible with CC BY 4.0)")
ATTRIBUTION = (
    "healthkg: knowledge graph of Japan's health and medical R&D strategy, derived from Japanese government "
    "documents (sources named in the graph by prov:wasDerivedFrom)"
)
RIGHTS = (
    f"Data: {DATA_LICENSE_NAME} ({DATA_LICENSE}). Sources: Japanese government documents under the "
    f"{SOURCE_TERMS_NAME}; curated facts cite their source pages, which keep their own terms."
)

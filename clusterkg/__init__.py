"""clusterkg: a linked-data knowledge graph of research on industrial clusters.

Knowledge lives in files (``ontology/``, ``data/``, ``queries/``); this package holds the code
that builds them into a store and serves it.
"""

__version__ = "0.1.0"

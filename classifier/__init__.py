"""ktag's library: Korean morpheme analysis, TF-IDF features and linear multi-label taggers.

Nothing in this package imports Flask or click except ``cli.py``; the service and the CLI are thin
skins over it.
"""
from __future__ import annotations

__version__ = "0.1.0"

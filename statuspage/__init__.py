"""statuspage: a static public status page generator for incidents kept in git."""

from __future__ import annotations

__version__ = "0.1.0"

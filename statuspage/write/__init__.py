"""Writing the site: into a temporary folder beside the output, swapped in only when whole
(`writer`), with the spare site a rebuild starts from (`spare`)."""

from .site import MARKER, MARKER_TEXT, OutputRefused, check_output, identity
from .spare import set_aside
from .writer import SiteWriter

__all__ = ["MARKER", "MARKER_TEXT", "OutputRefused", "SiteWriter", "check_output", "identity",
           "set_aside"]

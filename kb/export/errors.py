"""Exceptions of the export package. They subclass kb.errors.PfkbError, so the
CLI (`handle_errors`) and the HTTP layer map them like every other pfkb error."""
from __future__ import annotations

from kb.errors import PfkbError


class OutputPathError(PfkbError):
    """The output file cannot be written (missing folder, no permission, a directory)."""
    exit_code = 2
    http_status = 400


class FontMissingError(PfkbError):
    """No Japanese font is available to draw charts."""
    exit_code = 6
    http_status = 500

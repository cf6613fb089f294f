"""The export package's exceptions live with the others in kb/errors.py; kept
importable from here."""
from kb.core.errors import FontMissingError, OutputPathError  # noqa: F401

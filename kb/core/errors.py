"""pfkb's exceptions. Each message names the bad value and the fix; the CLI and
the HTTP layer map them to exit codes / status codes in one place each."""
from __future__ import annotations


class PfkbError(Exception):
    """Base class: a problem the user can fix; shown without a traceback."""
    exit_code = 1
    http_status = 400


class InputFileError(PfkbError):
    """A file given to ingest cannot be read as a report."""
    exit_code = 2
    http_status = 422

    def __init__(self, path: str, reason: str, fix: str = ""):
        self.path, self.reason, self.fix = str(path), reason, fix
        super().__init__(f"{path}: {reason}" + (f" — {fix}" if fix else ""))


class FileMissingError(InputFileError):
    """The path does not exist."""


class NotAPDFError(InputFileError):
    """Neither a PDF nor a text export."""


class EncryptedPDFError(InputFileError):
    """The PDF is password-protected."""


class CorruptPDFError(InputFileError):
    """The PDF cannot be parsed."""


class ImageOnlyPDFError(InputFileError):
    """The PDF has no text layer (scanned pages)."""


class UnreadableDocumentError(InputFileError):
    """A DOCX or HTML file that cannot be parsed (a broken package or markup)."""


class TooMuchLossError(InputFileError):
    """Too large a share of the document could not be parsed."""


class SettingsError(PfkbError):
    """A setting (environment variable or option) has a bad value."""
    exit_code = 2


class NotBuiltError(PfkbError):
    """The knowledge base or its index does not exist yet."""
    exit_code = 3
    http_status = 503


class IndexMismatchError(PfkbError):
    """The index on disk was built with other settings than the current ones."""
    exit_code = 3
    http_status = 503


class NotFoundError(PfkbError):
    """An id, city, document or page that does not exist."""
    exit_code = 4
    http_status = 404


class BadQueryError(PfkbError):
    """An empty, overlong or malformed question or filter."""
    exit_code = 2
    http_status = 422


class LLMError(PfkbError):
    """The configured OpenAI-compatible endpoint failed."""
    exit_code = 5
    http_status = 502


class OutputPathError(PfkbError):
    """The output file cannot be written (missing folder, no permission, a directory)."""
    exit_code = 2
    http_status = 400


class FontMissingError(PfkbError):
    """No Japanese font is available to draw charts."""
    exit_code = 6
    http_status = 500

"""pfkb's exceptions. Each message names the bad value and the fix; the CLI and
the HTTP layer map them to exit codes / status codes in one place each."""
from __future__ import annotations


class PfkbError(Exception):
    """Base class: a problem the user can fix; shown without a traceback.

    ``message_ja`` is what people read; ``message_en`` (optional) says the same
    for logs and non-Japanese readers. The CLI prints 「日本語 (English)」
    (``str(exc)``); the HTTP layer sends both fields."""
    exit_code = 1
    http_status = 400

    def __init__(self, message_ja: str, message_en: str = ""):
        self.message_ja, self.message_en = message_ja, message_en
        super().__init__(message_ja, message_en)

    def __str__(self) -> str:
        return f"{self.message_ja} ({self.message_en})" if self.message_en else self.message_ja

    def __reduce__(self):  # pickled whole (a worker process sends its error back)
        return _restore, (type(self), dict(self.__dict__))


def _restore(cls: type, state: dict) -> "PfkbError":
    e = cls.__new__(cls)
    Exception.__init__(e, state.get("message_ja", ""), state.get("message_en", ""))
    e.__dict__.update(state)
    return e


class InputFileError(PfkbError):
    """A file given to ingest cannot be read as a report: what is wrong with it
    (``reason_ja`` / ``reason_en``) and what to do (``fix_ja`` / ``fix_en``)."""
    exit_code = 2
    http_status = 422

    def __init__(self, path: str, reason_ja: str, reason_en: str = "", fix_ja: str = "", fix_en: str = ""):
        self.path = str(path)
        self.reason_ja, self.reason_en, self.fix_ja, self.fix_en = reason_ja, reason_en, fix_ja, fix_en
        super().__init__(f"{path}: {reason_ja}" + (f" — {fix_ja}" if fix_ja else ""),
                         "; ".join(p for p in (reason_en, fix_en) if p))

    def __str__(self) -> str:
        both = lambda ja, en: f"{ja} ({en})" if en else ja  # noqa: E731
        return f"{self.path}: {both(self.reason_ja, self.reason_en)}" + \
            (f" — {both(self.fix_ja, self.fix_en)}" if self.fix_ja else "")


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

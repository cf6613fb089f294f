"""Credentials out of text that goes to logs: ``Authorization`` values
(Bearer, Basic, …), user:password in URLs, API keys (also percent-encoded or
base64-wrapped in a Basic header) and known secrets given by the caller."""
from __future__ import annotations

import base64
import re
from typing import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
_AUTH = re.compile(r"(?i)\b(bearer|basic|token|apikey|api-key|x-api-key)(\s*[:=]?\s*)([A-Za-z0-9._~+/=%-]{4,})")
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/\s@:]*)(:[^/\s@]*)?@")
_KEY_PARAM = re.compile(r"(?i)\b((?:api[_-]?key|key|token|secret|password|passwd|pwd)\"?\s*[=:]\s*\"?)([^\s&\"',;]{4,})")
_SK = re.compile(r"\bsk-[A-Za-z0-9_-]{8,}")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every credential form replaced by ``***``."""
    for s in secrets:
        if s and len(s) >= 3:
            for form in {s, quote(s, safe=""), quote_plus(s), base64.b64encode(s.encode()).decode()}:
                text = text.replace(form, MASK)
    text = _USERINFO.sub(lambda m: m.group(1) + MASK + "@", text)
    text = _AUTH.sub(lambda m: m.group(1) + m.group(2) + MASK, text)
    text = _KEY_PARAM.sub(lambda m: m.group(1) + MASK, text)
    return _SK.sub(MASK, text)

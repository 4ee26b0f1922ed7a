"""The chat UI: a thin Gradio layer over `Assistant`, plus a `/doc/{doc_id}` page that shows a cited
passage highlighted in its document. Local-only by default (127.0.0.1); never shared publicly."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING
from urllib.parse import quote as urlquote

from .api import Assistant, answer_to_dict, follow_up_context
from .config import Settings, load_settings
from .errors import IndexMissingError, InputError, QAError
from .facts import Fact
from .retrieve import Filters
from .server import add_api, check_exposure, key_matches
from .types import Answer, Document, Draft, Final

if TYPE_CHECKING:
    import fastapi

TITLE = "公报问答 · 阳泉市人民政府公报"
ALL = "All"
NO_INDEX = "No index yet: run `qa ingest` (or `make run`)"
EXAMPLES = ["自建房安全专项整治领导小组组长是谁？", "阳政办发〔2022〕57号讲什么", "5G基站建设有哪些支持政策？",
            "Who leads the railway planning and construction leading group?"]
QUOTE_LIMIT = 300
_MD_SPECIAL = re.compile(r"([\\`*_\[\]#|~$])")
_MD_NUMBERED = re.compile(r"^(\s*\d+)(?=[.)])", re.MULTILINE)  # "1." would start a list
_MD_BULLET = re.compile(r"^(\s*)([-+=])", re.MULTILINE)  # "-"/"+" bullets, "=" setext headings
FONTS = '"Noto Serif CJK SC", "Source Han Serif SC", "Songti SC", SimSun, serif'
SANS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'


def available_modes(settings: Settings | None = None) -> list[str]:
    """Answer modes the UI offers: "llm" when a local model (or a server) is configured."""
    from .llm import llm_configured

    return ["extractive", "llm"] if llm_configured(settings or load_settings()) else ["extractive"]


def _gradio():
    try:
        import gradio
    except ImportError:
        raise QAError("the chat UI needs gradio: install gradio (`pip install 'gradio>=5'`).") from None
    return gradio


class Backend:
    """The Assistant, loaded lazily: a missing index is not fatal, loading is retried on the next request."""

    def __init__(self, source: Assistant | Callable[[], Assistant]) -> None:
        self._assistant = source if isinstance(source, Assistant) else None
        self._factory = None if isinstance(source, Assistant) else source

    def get(self) -> Assistant:
        if self._assistant is None:
            self._assistant = self._factory()
        return self._assistant

    def try_get(self) -> tuple[Assistant | None, QAError | None]:
        try:
            return self.get(), None
        except QAError as exc:
            return None, exc


# --- Markdown rendering (everything from users or documents is escaped) ----------------------------

def md_text(text: str) -> str:
    """Text shown literally inside Markdown: HTML-escaped, Markdown punctuation backslash-escaped."""
    text = _MD_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    text = _MD_NUMBERED.sub(r"\1\\", text)
    return _MD_BULLET.sub(r"\1\\\2", text)


def short_quote(quote: str, limit: int = QUOTE_LIMIT) -> str:
    text = " ".join(quote.split())
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def sources_markdown(answer: Answer) -> str:
    lines = []
    for c in answer.citations:
        label = f"{c.title}（{c.doc_number or '无文号'}，{c.issue}，第{c.page or '?'}页）"
        if c.section:
            label += f" · {c.section}"
        url = urlquote(c.url, safe="/?=&")
        lines.append(f"**[{c.n}]** [{md_text(label)}]({url})\n\n> {md_text(short_quote(c.quote))}")
    return "\n\n".join(lines)


def extras_markdown(answer: Answer) -> str:
    parts = []
    if answer.refused and answer.suggestions and not all(s in answer.answer for s in answer.suggestions):
        parts.append("**最接近的文件 / Closest documents**\n\n"
                     + "\n".join(f"- {md_text(s)}" for s in answer.suggestions))
    parts += [f"*{md_text(n)}*" for n in answer.notices if n != answer.answer]  # a refusal's notice is its text
    return "\n\n".join(parts)


def error_markdown(exc: QAError) -> str:
    if isinstance(exc, IndexMissingError):
        return f"{NO_INDEX}.\n\n{md_text(str(exc))}"
    return f"⚠️ {md_text(str(exc))}"


# --- Callbacks: they only call the Python API -------------------------------------------------------

def make_filters(year: str | None, category: str | None) -> Filters:
    year = (year or "").strip()
    category = (category or "").strip()
    if year and year != ALL and not year.isdigit():
        raise InputError(f"year {year!r} is not a year; give e.g. 2022 or leave it empty for all years.")
    return Filters(year=int(year) if year and year != ALL else None,
                   category=category if category and category != ALL else None)


def respond(backend: Backend, question: str, history: list | None, previous: list[str] | None,
            year: str | None = ALL, category: str | None = ALL, mode: str | None = "extractive",
            delay: float = 0.015) -> Iterator[tuple[list, list[str], str]]:
    """One chat turn: yields (history, previous questions, textbox value) as the answer streams in."""
    history = list(history or [])
    previous = list(previous or [])
    if not (question or "").strip():
        yield history, previous, ""
        return
    history.append({"role": "user", "content": md_text(question)})
    history.append({"role": "assistant", "content": "…"})
    yield history, previous, ""
    try:
        assistant = backend.get()
        draft = ""
        for event in assistant.ask_stream(question, filters=make_filters(year, category), mode=mode,
                                          context=follow_up_context(question, previous)):
            if isinstance(event, Draft):  # LLM sentences, each shown once it verifies; the Final replaces them
                draft += event.text
                history[-1] = {"role": "assistant", "content": f"*生成中（每句已核对） / writing, each sentence checked…*\n\n{md_text(draft)}"}
                yield history, previous, ""
            elif isinstance(event, Final):
                answer = event.answer
    except QAError as exc:
        history[-1] = {"role": "assistant", "content": error_markdown(exc)}
        yield history, previous, ""
        return
    previous.append(question)
    if answer.mode == "extractive":  # shown progressively, like a stream
        step = max(4, len(answer.answer) // 25)
        for end in range(step, len(answer.answer) + step, step):
            history[-1] = {"role": "assistant", "content": md_text(answer.answer[:end])}
            yield history, previous, ""
            time.sleep(delay)
    parts = [md_text(answer.answer), extras_markdown(answer)]
    if answer.citations:
        parts.append("**来源 / Sources**\n\n" + sources_markdown(answer))
    history[-1] = {"role": "assistant", "content": "\n\n".join(p for p in parts if p)}
    yield history, previous, ""


def api_ask(backend: Backend, question: str, year: str = "", category: str = "", mode: str = "") -> dict:
    """The `ask` API endpoint: the JSON of `qa ask --json`."""
    assistant = backend.get()
    return answer_to_dict(assistant.ask(question, filters=make_filters(year, category), mode=mode or None))


# --- The document page --------------------------------------------------------------------------------

PAGE_CSS = f"""
body {{ font-family: {FONTS}; max-width: 52em; margin: 2em auto; padding: 0 1em; line-height: 1.8;
       color: #222; background: #fdfdfb; }}
header {{ border-bottom: 1px solid #ccc; margin-bottom: 1.5em; }}
h1 {{ font-size: 1.35em; line-height: 1.5; }}
dl {{ display: grid; grid-template-columns: max-content 1fr; gap: .1em 1em; font-size: .92em; }}
dt {{ color: #666; }} dd {{ margin: 0; }}
.doc {{ white-space: pre-wrap; font-size: 1.05em; }}
mark {{ background: #ffe58a; padding: .1em 0; box-shadow: 0 0 0 2px #ffe58a; }}
a {{ color: #1a5fb4; }}
details.records {{ margin: 0 0 1.5em; font-size: .92em; }}
details.records table {{ border-collapse: collapse; width: 100%; }}
details.records td {{ border-top: 1px solid #e4e4e0; padding: .15em .5em; vertical-align: top; }}
"""

KIND_LABELS = {"group": "机构", "appointment": "任免", "document": "文件"}


def _page(title: str, content: str) -> str:
    return (f'<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} · 公报问答</title><style>{PAGE_CSS}</style></head>"
            f'<body><p><a href="/">← 返回问答 / Back to chat</a></p>{content}</body></html>')


def not_found_page(message: str) -> str:
    return _page("Not found", f"<h1>404</h1><p>{html.escape(message)}</p>")


def records_html(doc: Document, facts: Sequence[Fact]) -> str:
    """The document's records (qa/facts/) as a folded table; each row links to its source span."""
    shown = [f for f in facts if f.role not in ("文号", "成文日期", "成员单位")]
    if not shown:
        return ""
    rows = "".join(
        f"<tr><td>{KIND_LABELS[f.kind]}</td><td>{html.escape(f.parent + ' › ' if f.parent else '')}"
        f"{html.escape(f.subject)}</td><td>{html.escape(f.role)}</td>"
        f'<td><a href="/doc/{urlquote(doc.doc_id)}?start={f.start}&amp;end={f.end}">{html.escape(f.value)}</a></td></tr>'
        for f in shown)
    return (f'<details class="records"><summary>本文件的记录 / Records ({len(shown)})</summary>'
            f"<table>{rows}</table></details>")


def document_page(doc: Document, span: tuple[int, int] | None, facts: Sequence[Fact] = ()) -> str:
    """The whole document, escaped, with the cited span (source offsets) in <mark id="cited">, and
    its records (groups, appointments, document facts) above it."""
    rows = [("文号", doc.doc_number), ("发文机关", doc.issuer), ("日期", doc.date), ("期号", doc.issue.label),
            ("类别", doc.category), ("页码", doc.page and f"第{doc.page}页"), ("来源文件", doc.source)]
    meta = "".join(f"<dt>{k}</dt><dd>{html.escape(str(v))}</dd>" for k, v in rows if v)
    body = doc.body
    if span is None:
        text = html.escape(body)
        script = ""
    else:
        a, b = span[0] - doc.start, span[1] - doc.start
        text = (html.escape(body[:a]) + '<mark id="cited">' + html.escape(body[a:b]) + "</mark>"
                + html.escape(body[b:]))
        script = ("<script>window.addEventListener('load', function () {"
                  "document.getElementById('cited').scrollIntoView({block: 'center'});});</script>")
    header = f"<header><h1>{html.escape(doc.title)}</h1><dl>{meta}</dl></header>"
    return _page(doc.title, f'{header}{records_html(doc, facts)}<div class="doc">{text}</div>{script}')


# --- The app ------------------------------------------------------------------------------------------

CHAT_CSS = f"""
.gradio-container, .gradio-container .prose {{ font-family: {SANS}; }}
.gradio-container .prose blockquote {{ font-size: .92em; color: #444; }}
"""


def build_blocks(backend: Backend, settings: Settings | None = None):
    gr = _gradio()
    settings = settings or load_settings()
    assistant, problem = backend.try_get()
    docs = assistant.documents() if assistant else []
    years = [ALL] + [str(y) for y in sorted({d.issue.year for d in docs}, reverse=True)]
    categories = [ALL] + sorted({d.category for d in docs if d.category})

    with gr.Blocks(title=TITLE, analytics_enabled=False) as blocks:
        gr.Markdown(f"# {TITLE}\n按问题检索公报原文并给出带出处的回答；点击来源可查看原文并高亮引用段落。")
        if problem is not None:
            gr.Markdown(error_markdown(problem), elem_id="index-warning")
        chatbot = gr.Chatbot(label="问答", height="68vh", min_height=420, elem_id="chat", latex_delimiters=[],
                             sanitize_html=True, buttons=["copy"])
        with gr.Row():
            question = gr.Textbox(placeholder="输入问题，例如：自建房安全专项整治领导小组组长是谁？",
                                  show_label=False, scale=8, elem_id="question", autofocus=True)
            send = gr.Button("发送 / Ask", variant="primary", scale=1, elem_id="send")
        with gr.Row():
            year = gr.Dropdown(years, value=ALL, label="年份 / Year")
            category = gr.Dropdown(categories, value=ALL, label="类别 / Category")
            modes = available_modes(settings)
            mode = gr.Radio(modes, value=settings.answer_mode if settings.answer_mode in modes else modes[0],
                            label="模式 / Mode")
        gr.Examples(EXAMPLES, inputs=[question], label="示例问题 / Examples")
        previous = gr.State([])

        def on_ask(text, history, asked, year_value, category_value, mode_value):
            yield from respond(backend, text, history, asked, year_value, category_value, mode_value)

        inputs = [question, chatbot, previous, year, category, mode]
        outputs = [chatbot, previous, question]
        question.submit(on_ask, inputs, outputs, api_visibility="private")
        send.click(on_ask, inputs, outputs, api_visibility="private")

        def ask(question: str, year: str = "", category: str = "", mode: str = "") -> dict:
            """Ask a question; returns the JSON of `qa ask --json` (question, answer, refused, mode, citations …)."""
            try:
                return api_ask(backend, question, year, category, mode)
            except QAError as exc:
                raise gr.Error(str(exc)) from None

        gr.api(ask, api_name="ask")
    return blocks


def build_app(assistant: Assistant | Callable[[], Assistant] | None = None,
              settings: Settings | None = None) -> fastapi.FastAPI:
    """A FastAPI app: `GET /doc/{doc_id}?chunk=...` and the Gradio chat mounted at `/`."""
    gr = _gradio()
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    settings = settings or load_settings()
    backend = Backend(assistant if assistant is not None else (lambda: Assistant.load(settings)))
    app = FastAPI(title=TITLE)

    # No return annotation: with `from __future__ import annotations` it is the string "HTMLResponse",
    # which FastAPI cannot resolve (a local import), and /openapi.json failed with 500.
    @app.get("/doc/{doc_id}", response_class=HTMLResponse, response_model=None)
    def doc_page(doc_id: str, chunk: str | None = None, start: int | None = None, end: int | None = None):
        try:
            loaded = backend.get()
        except QAError as exc:
            return HTMLResponse(_page("No index", f"<p>{html.escape(NO_INDEX)}</p>"
                                      f"<p>{html.escape(str(exc))}</p>"), status_code=503)
        doc = loaded.document(doc_id)
        if doc is None:
            return HTMLResponse(not_found_page(f"No document {doc_id!r} in the index."), status_code=404)
        cited = loaded.chunk(chunk) if chunk else None
        if chunk and (cited is None or cited.doc_id != doc_id):
            return HTMLResponse(not_found_page(f"No passage {chunk!r} in document {doc_id!r}."),
                                status_code=404)
        span = (cited.start, cited.end) if cited else None
        if start is not None or end is not None:  # the cited sentence inside the passage
            if start is None or end is None or not doc.start <= start < end <= doc.end:
                return HTMLResponse(not_found_page(f"No span {start}-{end} in document {doc_id!r} "
                                                   f"(it spans {doc.start}-{doc.end})."), status_code=404)
            span = (start, end)
        return HTMLResponse(document_page(doc, span, loaded.facts.by_doc.get(doc_id, [])))

    add_api(app, backend, settings)  # /v1/… and /api/… (qa/server.py), before the chat takes "/"
    login = {}
    if settings.api_key:  # the chat asks for the key as its password
        login = {"auth": lambda _user, password: key_matches(settings, password),
                 "auth_message": "用户名任意，密码为 QA_API_KEY / any user name; the password is QA_API_KEY"}
    return gr.mount_gradio_app(app, build_blocks(backend, settings), path="/", server_name=settings.host,
                               server_port=settings.port, css=CHAT_CSS, ssr_mode=False,
                               footer_links=["api"], **login)


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    """Run the UI with uvicorn on settings.host:settings.port (default 127.0.0.1:7860). Never shared."""
    import uvicorn

    settings = settings or load_settings()
    host = host or settings.host
    port = port or settings.port
    check_exposure(host, settings)  # before binding anything
    app = build_app(settings=settings)
    print(f"公报问答 running on http://{host}:{port}  (Ctrl+C to stop); OpenAI-compatible API at "
          f"http://{host}:{port}/v1, REST API docs at /docs", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")

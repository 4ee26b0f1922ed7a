"""The chat UI: Gradio widgets over qa/chat.py (conversations, one chat turn), qa/render.py (how an
answer looks) and qa/docpage.py (the source page). Chinese first, English beside it. Local-only by
default (127.0.0.1); never shared publicly."""

# no `from __future__ import annotations`: Gradio reads the `gr.Request`/`gr.LikeData` annotations of
# the callbacks at run time, and `gr` is a local name
import html
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import chat
from .api import Assistant, answer_to_dict
from .chat import Backend
from .config import Settings, load_settings
from .docpage import document_page, not_found_page, page
from .errors import InputError, QAError
from .feedback import REASONS, Feedback, record
from .memory import HeapTrimmer, queue_bounded
from .pages import add_page_routes, page_url
from .render import error_markdown
from .retrieve import Filters
from .server import add_api, check_exposure, key_matches

if TYPE_CHECKING:
    import fastapi

TITLE = "公报问答 · 阳泉市人民政府公报"
ALL = ""  # the "全部 / All" choice of a filter
EXAMPLES = ["自建房安全专项整治领导小组组长是谁？", "阳政办发〔2022〕57号讲什么", "5G基站电费补贴标准是多少？",
            "Who leads the railway planning and construction leading group?"]
MODES = {"extractive": "快速引用 / Quick quotes", "llm": "生成回答（较慢） / Written answer (slower)"}
UPLOAD_LIMIT = "16kb"  # the chat uploads nothing; Gradio's upload route stays, with no room for files
UI_CONCURRENCY = 4  # chat answers computed at once (the LLM itself answers one at a time)
STORE_KEY = "gazette-qa-chat"
SANS = '"Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif'

# Client-side helpers: copy the last answer as plain text, export the conversation as Markdown, and
# bring the start of the newest answer into view. They read the conversation kept in the browser.
_LAST = "(s) => { const c = (s.conversations || []).find(x => x.id === s.current); return c ? c.turns : []; }"
COPY_JS = f"""(store) => {{
  const turns = ({_LAST})(store); if (!turns.length) return;
  const text = turns[turns.length - 1].plain;
  const fallback = () => {{ const t = document.createElement('textarea'); t.value = text;
    document.body.appendChild(t); t.select(); document.execCommand('copy'); t.remove(); }};
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).catch(fallback);
  else fallback();
  const b = document.querySelector('#copy'); if (b) {{ const l = b.textContent;
    b.textContent = '已复制 / Copied'; setTimeout(() => b.textContent = l, 1500); }}
}}"""
EXPORT_JS = f"""(store) => {{
  const turns = ({_LAST})(store); if (!turns.length) return;
  const md = '# 公报问答 · 对话记录\\n\\n' + turns.map(t => t.md).join('\\n');
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([md], {{type: 'text/markdown;charset=utf-8'}}));
  a.download = '公报问答-' + new Date().toISOString().slice(0, 10) + '.md';
  document.body.appendChild(a); a.click(); a.remove();
}}"""
SCROLL_JS = """() => { setTimeout(() => {
  const bots = document.querySelectorAll('#chat [data-testid="bot"]');
  const last = bots[bots.length - 1]; if (!last) return;
  let wrap = last.parentElement;
  while (wrap && wrap.scrollHeight <= wrap.clientHeight + 1) wrap = wrap.parentElement;
  if (wrap && wrap !== document.documentElement && wrap !== document.body)
    wrap.scrollTop += last.getBoundingClientRect().top - wrap.getBoundingClientRect().top - 8;
  const top = last.getBoundingClientRect().top;
  if (top < 0 || top > window.innerHeight - 80) last.scrollIntoView({block: 'start'});
}, 60); }"""
LANG_JS = "() => { document.documentElement.lang = 'zh-CN'; }"  # Gradio writes the browser's; the page is Chinese-first

CHAT_CSS = f"""
.gradio-container, .gradio-container .prose {{ font-family: {SANS}; }}
#title h3 {{ margin: 0; padding-left: 28px; }}
#chat .answer-head {{ font-size: 1.12em; margin-bottom: .3em; }}
#chat a.cite {{ text-decoration: none; font-size: .8em; vertical-align: super; padding: 0 .1em; }}
#chat .support {{ color: #333; }}
#chat .notice {{ color: #8a5300; font-size: .9em; }}
#chat details.sources {{ margin-top: .4em; font-size: .9em; }}
#chat details.sources summary {{ cursor: pointer; color: #555; }}
#chat details.sources li {{ margin: .3em 0; }}
#chat details.sources .quote {{ color: #555; border-left: 3px solid #ddd; padding-left: .6em; margin-top: .2em; }}
#chat table.row {{ border-collapse: collapse; margin: .2em 0; font-size: .95em; }}
#chat table.row td {{ border: 1px solid #ddd; padding: .1em .5em; }}
#doc-only {{ font-size: .9em; }}
@media (max-width: 640px) {{
  .gradio-container {{ padding: 4px !important; }}
  #title h3 {{ font-size: 1em; }}
  #input-row {{ flex-wrap: nowrap !important; }}
  #input-row button {{ min-width: 64px !important; }}
}}
"""


def available_modes(settings: Settings | None = None) -> list[str]:
    """Answer modes the UI offers: "llm" when a local model (or a server) is configured."""
    from .llm import llm_configured

    return ["extractive", "llm"] if llm_configured(settings or load_settings()) else ["extractive"]


def _gradio():
    try:
        import gradio
    except ImportError:
        raise QAError("the chat UI needs gradio: install gradio (`pip install 'gradio>=5'`).",
                      zh="聊天界面需要 gradio：请安装（`pip install 'gradio>=5'`）。") from None
    return gradio


def make_filters(year: str | None = None, issue: str | None = None, category: str | None = None,
                 doc_id: str | None = None, city: str | None = None) -> Filters:
    year, issue, category, city = ((v or "").strip() for v in (year, issue, category, city))
    if year and not year.isdigit():
        raise InputError(f"year {year!r} is not a year; give e.g. 2022 or leave it empty for all years.",
                         zh=f"年份 {year!r} 无效：请选择如 2022，或选“全部”。")
    return Filters(year=int(year) if year else None, issue=issue or None, category=category or None,
                   doc_id=doc_id or None, city=city or None)


def api_ask(backend: Backend, question: str, year: str = "", category: str = "", mode: str = "",
            issue: str = "") -> dict:
    """The `ask` API endpoint: the JSON of `qa ask --json`."""
    answer = backend.get().ask(question, filters=make_filters(year, issue, category), mode=mode or None)
    return answer_to_dict(answer)


def _base(request) -> str:
    """The site's address as the browser sees it, for absolute links in copied and exported text."""
    try:
        return str(request.base_url).rstrip("/")
    except AttributeError:
        return ""


def build_blocks(backend: Backend, settings: Settings | None = None):
    gr = _gradio()
    settings = settings or load_settings()
    assistant, problem = backend.try_get()
    facets = assistant.facets() if assistant else None  # not the documents: a store may hold ~100k
    every = ("全部 / All", ALL)
    years = [every] + [(str(y), str(y)) for y in (facets.years if facets else ())]
    issues = [every] + [(label, label) for label in (facets.issues if facets else ())]
    categories = [every] + [(c, c) for c in (facets.categories if facets else ())]
    cities = list(facets.cities) if facets else []  # the city filter is shown when the index has several
    modes = available_modes(settings)

    with gr.Blocks(title=TITLE, analytics_enabled=False, fill_height=True) as blocks:
        store = gr.BrowserState(chat.empty_store(), storage_key=STORE_KEY, secret=f"{STORE_KEY}-v1")
        doc_only, pending = gr.State(""), gr.State("")
        with gr.Sidebar(label="对话 / Chats", open=False, elem_id="sidebar"):
            new = gr.Button("＋ 新对话 / New chat", elem_id="new-chat")
            conversations = gr.Radio([], label="历史对话 / Past chats", elem_id="conversations")
            remove = gr.Button("删除此对话 / Delete this chat", variant="stop", size="sm", elem_id="delete-chat")
        gr.Markdown(f"### {TITLE}", elem_id="title")
        if problem is not None:
            gr.Markdown(f"{error_markdown(problem)}\n\n{error_markdown(problem, english=True)}",
                        elem_id="index-warning")
        chatbot = gr.Chatbot(
            label="问答 / Chat", elem_id="chat", height="calc(100dvh - 290px)", min_height=280,
            latex_delimiters=[], sanitize_html=True, buttons=[], autoscroll=False,
            examples=[{"text": e} for e in EXAMPLES], feedback_options=("Like", "Dislike", *REASONS),
            placeholder="按问题检索公报原文，给出带出处的回答；点 [n] 查看原文。\n\nAsk in Chinese or English.")
        with gr.Row(visible=False) as doc_row:
            doc_chip = gr.Markdown(elem_id="doc-only")
            clear_doc = gr.Button("✕ 全部文件 / All documents", size="sm", scale=0, elem_id="clear-doc")
        with gr.Row(elem_id="input-row", equal_height=True):
            question = gr.Textbox(placeholder="输入问题，例如：自建房安全专项整治领导小组组长是谁？", show_label=False,
                                  scale=8, elem_id="question", autofocus=True, lines=1, max_lines=4,
                                  container=False)
            send = gr.Button("发送", variant="primary", scale=1, min_width=72, elem_id="send")
            stop = gr.Button("停止", variant="stop", scale=1, min_width=72, visible=False, elem_id="stop")
        with gr.Row():
            copy = gr.Button("复制回答 / Copy", size="sm", min_width=100, elem_id="copy")
            export = gr.Button("导出对话 / Export", size="sm", min_width=100, elem_id="export")
        with gr.Accordion("筛选与模式 / Filters & mode", open=False, elem_id="filters"):
            with gr.Row():
                year = gr.Dropdown(years, value=ALL, label="年份 / Year", elem_id="year")
                issue = gr.Dropdown(issues, value=ALL, label="期号 / Issue", elem_id="issue")
                category = gr.Dropdown(categories, value=ALL, label="类别 / Category", elem_id="category")
                city = gr.Dropdown([every] + [(c, c) for c in cities], value=ALL, label="城市 / City",
                                   elem_id="city", visible=len(cities) > 1)
            mode = gr.Radio([(MODES[m], m) for m in modes], label="模式 / Mode", elem_id="mode",
                            value=settings.answer_mode if settings.answer_mode in modes else modes[0])

        def show(state: dict, base: str = ""):
            conv = chat.current(state)
            return {chatbot: chat.messages(chat.turns_of(conv), base),
                    conversations: gr.update(choices=chat.choices(state), value=state.get("current") or None)}

        def on_load(state, request: gr.Request):
            state = chat.valid(state)
            if chat.current(state) is None:
                state = chat.new_conversation(state)
            doc_id = (request.query_params.get("doc") or "") if request else ""
            loaded, _ = backend.try_get()
            doc = loaded.document(doc_id) if loaded and doc_id else None
            chip = f"仅就此文件提问 / Only this document：**{doc.title}**" if doc else ""
            return {**show(state, _base(request)), store: state, doc_only: doc.doc_id if doc else "",
                    doc_chip: chip, doc_row: gr.update(visible=bool(doc))}

        def on_ask(text, state, doc_id, year_value, issue_value, category_value, mode_value, city_value,
                   request: gr.Request):
            text = (text or "").strip()
            if not text:
                yield {question: gr.skip()}
                return
            base, first = _base(request), True
            turns = chat.turns_of(chat.current(state))
            try:
                filters = make_filters(year_value, issue_value, category_value, doc_id, city_value)
                screens = chat.respond(backend, text, turns, filters, mode_value, base)
            except InputError as exc:
                screens = [chat.failed(text, exc, turns, base)]
            for screen in screens:
                if not screen.done:
                    yield {chatbot: screen.messages, question: "" if first else gr.skip(), pending: text,
                           send: gr.update(visible=False), stop: gr.update(visible=True)}
                    first = False
                    continue
                state = chat.add_turn(state, screen.record)
                yield {**show(state, base), store: state, pending: "", question: "" if first else gr.skip(),
                       send: gr.update(visible=True), stop: gr.update(visible=False)}

        def on_stop(state, asked, request: gr.Request):
            if asked:
                state = chat.add_turn(state, chat.record(chat.stopped(asked)))
            return {**show(state, _base(request)), store: state, pending: "", send: gr.update(visible=True),
                    stop: gr.update(visible=False)}

        def on_like(data: gr.LikeData, state, year_value, issue_value, category_value, doc_id, city_value):
            conv = chat.current(state)
            index = data.index if isinstance(data.index, int) else data.index[0]
            kept = (conv or {}).get("turns", [])
            if not 0 <= index // 2 < len(kept):
                return
            turn = kept[index // 2]
            liked = data.liked is True or data.liked == "Like"
            reason = data.liked if isinstance(data.liked, str) and data.liked not in ("Like", "Dislike") else ""
            where = make_filters(year_value, issue_value, category_value, doc_id, city_value).describe()
            try:
                record(settings.feedback_path, Feedback(turn["q"], liked, turn.get("a") or {}, reason,
                                                        where + (f" doc={doc_id}" if doc_id else "")))
            except QAError as exc:
                raise gr.Error(exc.message(False)) from None
            gr.Info("已记录反馈，谢谢 / Feedback saved, thank you")

        def on_new(state, request: gr.Request):
            state = chat.new_conversation(state)
            return {**show(state, _base(request)), store: state}

        def on_select(state, conv_id, request: gr.Request):
            if not conv_id or conv_id == chat.valid(state).get("current"):
                return {chatbot: gr.skip()}
            state = chat.select(state, conv_id)
            return {**show(state, _base(request)), store: state}

        def on_delete(state, request: gr.Request):
            state = chat.delete(state, chat.valid(state).get("current", ""))
            if chat.current(state) is None:
                state = chat.new_conversation(state)
            return {**show(state, _base(request)), store: state}

        def on_example(data: gr.SelectData):
            return data.value["text"]

        everything = {chatbot, conversations, store, doc_only, doc_chip, doc_row}
        blocks.load(on_load, [store], everything)
        asking = [question, store, doc_only, year, issue, category, mode, city]
        outputs = {chatbot, conversations, store, pending, question, send, stop}
        answer = dict(fn=on_ask, inputs=asking, outputs=outputs, api_visibility="private",
                      trigger_mode="always_last", concurrency_limit=UI_CONCURRENCY, concurrency_id="answer")
        # one event for Enter and 发送: a question sent while one is answered waits in the box and runs
        # next ("always_last"); two listeners would answer both at once over the same conversation
        events = [gr.on([question.submit, send.click], **answer),
                  chatbot.example_select(on_example, None, question, api_visibility="private")
                  .then(**answer)]
        for event in events:
            event.then(None, js=SCROLL_JS)
        stop.click(on_stop, [store, pending], {chatbot, conversations, store, pending, send, stop},
                   cancels=events, api_visibility="private")
        chatbot.like(on_like, [store, year, issue, category, doc_only, city], None, api_visibility="private")
        new.click(on_new, [store], {chatbot, conversations, store}, api_visibility="private")
        chatbot.clear(on_new, [store], {chatbot, conversations, store}, api_visibility="private")  # 🗑 = new chat
        conversations.input(on_select, [store, conversations], {chatbot, conversations, store},
                            api_visibility="private")
        remove.click(on_delete, [store], {chatbot, conversations, store}, api_visibility="private")
        clear_doc.click(lambda: ("", gr.update(visible=False)), None, [doc_only, doc_row],
                        api_visibility="private")
        copy.click(None, [store], None, js=COPY_JS)
        export.click(None, [store], None, js=EXPORT_JS)

        def ask(question: str, year: str = "", category: str = "", mode: str = "") -> dict:
            """Ask a question; returns the JSON of `qa ask --json` (question, answer, refused, mode, citations …)."""
            try:
                return api_ask(backend, question, year, category, mode)
            except QAError as exc:
                raise gr.Error(str(exc)) from None

        gr.api(ask, api_name="ask")
    queue_bounded(blocks, UI_CONCURRENCY, settings.ui_sessions)  # memory: see qa/memory.py
    return blocks


def build_app(assistant: Assistant | Callable[[], Assistant] | None = None,
              settings: Settings | None = None) -> "fastapi.FastAPI":
    """A FastAPI app: `GET /doc/{doc_id}?chunk=...` and the Gradio chat mounted at `/`."""
    gr = _gradio()
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    settings = settings or load_settings()
    backend = Backend(assistant if assistant is not None else (lambda: Assistant.load(settings)),
                      watch=settings.index_dir / "manifest.json")  # a new ingest is picked up
    app = FastAPI(title=TITLE)

    # No return annotation: with `from __future__ import annotations` it is the string "HTMLResponse",
    # which FastAPI cannot resolve (a local import), and /openapi.json failed with 500.
    @app.get("/doc/{doc_id}", response_class=HTMLResponse, response_model=None)
    def doc_page(doc_id: str, chunk: str | None = None, start: int | None = None, end: int | None = None):
        try:
            loaded = backend.get()
        except QAError as exc:
            return HTMLResponse(page("还没有索引 / No index", f"<p>{html.escape(exc.message(False))}</p>"
                                     f"<p>{html.escape(str(exc))}</p>"), status_code=503)
        doc = loaded.document(doc_id)
        if doc is None:
            return HTMLResponse(not_found_page(f"索引中没有文件 {doc_id!r} / No document {doc_id!r} in the index."),
                                status_code=404)
        cited = loaded.chunk(chunk) if chunk else None
        if chunk and (cited is None or cited.doc_id != doc_id):
            return HTMLResponse(not_found_page(f"文件 {doc_id!r} 中没有段落 {chunk!r} / "
                                               f"No passage {chunk!r} in document {doc_id!r}."), status_code=404)
        span = (cited.start, cited.end) if cited else None
        if start is not None or end is not None:  # the cited sentence inside the passage
            if start is None or end is None or not doc.start <= start < end <= doc.end:
                return HTMLResponse(not_found_page(f"文件 {doc_id!r} 中没有位置 {start}-{end}（范围 {doc.start}-"
                                                   f"{doc.end}）/ No span {start}-{end} in document {doc_id!r} "
                                                   f"(it spans {doc.start}-{doc.end})."), status_code=404)
            span = (start, end)
        image = page_url(loaded, doc_id, *(span or ()))  # None unless the document came from a PDF
        return HTMLResponse(document_page(doc, span, loaded.facts.by_doc.get(doc_id, []), image))

    add_page_routes(app, backend.get)  # /page/{doc_id}.png|.json: the printed page of a PDF source
    add_api(app, backend, settings)  # /v1/… and /api/… (qa/server.py), before the chat takes "/"
    login = {}
    if settings.api_key:  # the chat asks for the key as its password
        login = {"auth": lambda _user, password: key_matches(settings, password),
                 "auth_message": "用户名任意，密码为 QA_API_KEY / any user name; the password is QA_API_KEY"}
    return gr.mount_gradio_app(app, build_blocks(backend, settings), path="/", server_name=settings.host,
                               server_port=settings.port, css=CHAT_CSS, ssr_mode=False, js=LANG_JS,
                               max_file_size=UPLOAD_LIMIT, enable_monitoring=False, run_history=False,
                               footer_links=[{"label": "API 文档 / API docs", "url": "/docs"}], **login)


def check_port_free(host: str, port: int) -> None:
    """Fail with a message before saying "running on …" when the address is taken."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port} ({exc.strerror}); stop the program using it or pick "
                         "another port with --port (QA_PORT).",
                         zh=f"无法监听 {host}:{port}（{exc.strerror}）；请先停止占用该端口的程序，或用 --port（QA_PORT）换一个端口。") from None


def serve(settings: Settings | None = None, host: str | None = None, port: int | None = None) -> None:
    """Run the UI with uvicorn on settings.host:settings.port (default 127.0.0.1:7860). Never shared."""
    import uvicorn

    settings = settings or load_settings()
    host = host or settings.host
    port = port or settings.port
    check_exposure(host, settings)  # before binding anything
    check_port_free(host, port)
    app = build_app(settings=settings)
    HeapTrimmer(settings.trim_seconds).start()
    print(f"公报问答 running on http://{host}:{port}  (Ctrl+C to stop); OpenAI-compatible API at "
          f"http://{host}:{port}/v1, REST API docs at /docs", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")

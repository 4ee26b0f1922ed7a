import html
import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from qa.api import Assistant
from qa.errors import IndexMissingError
from qa.ingest import ingest
from qa.ui import (NO_INDEX, Backend, api_ask, available_modes, build_app, extras_markdown, follow_up_context,
                   md_text, respond, short_quote, sources_markdown)

MARK = re.compile(r'<mark id="cited">(.*?)</mark>', re.DOTALL)
QUESTION = "自建房安全专项整治领导小组组长是谁"


@pytest.fixture
def client(assistant, settings):
    return TestClient(build_app(assistant, settings))


def test_doc_page_highlights_the_cited_quote(client, assistant):
    citation = assistant.ask(QUESTION).citations[0]
    page = client.get(citation.url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    (marked,) = MARK.findall(page.text)
    # the cited sentence is highlighted, inside the passage it comes from
    assert html.unescape(marked) == citation.quote and citation.quote in assistant.chunk(citation.chunk_id).text
    doc = assistant.document(citation.doc_id)
    assert html.escape(doc.title) in page.text and doc.doc_number in page.text and "2022年第4期" in page.text
    assert "scrollIntoView" in page.text and "white-space: pre-wrap" in page.text and 'href="/"' in page.text


def test_doc_page_without_chunk_has_no_highlight(client, assistant):
    doc = assistant.documents()[0]
    page = client.get(f"/doc/{doc.doc_id}")
    assert page.status_code == 200 and "<mark" not in page.text
    assert html.unescape(re.search(r'<div class="doc">(.*?)</div>', page.text, re.DOTALL).group(1)) == doc.body


def test_doc_page_lists_the_document_records_linked_to_their_rows(client, assistant):
    citation = assistant.ask(QUESTION).citations[0]
    page = client.get(f"/doc/{citation.doc_id}")
    assert "本文件的记录 / Records" in page.text
    links = re.findall(r'<a href="(/doc/[^"]+\?start=\d+&amp;end=\d+)">([^<]+)</a>', page.text)
    target = next(href for href, text in links if html.unescape(text) == "韩加政（市政府副市长）")
    row = client.get(html.unescape(target))
    (marked,) = MARK.findall(row.text)
    assert html.unescape(marked).startswith("组 长：") and "韩加政" in html.unescape(marked)


def test_doc_page_404s(client, assistant):
    first, second = assistant.documents()[:2]
    assert client.get("/doc/no-such-doc").status_code == 404
    other = next(c for c in assistant.data.chunks if c.doc_id == second.doc_id)
    wrong = client.get(f"/doc/{first.doc_id}?chunk={other.chunk_id}")
    assert wrong.status_code == 404 and "Traceback" not in wrong.text and "<html" in wrong.text
    assert client.get(f"/doc/{first.doc_id}?chunk=nope").status_code == 404


def test_document_text_is_escaped(tmp_path, settings, fake_embedder, mini_text):
    folder = tmp_path / "evil"
    folder.mkdir()
    text = mini_text.replace(
        "全面排查整治自建房安全隐患。", "全面排查整治自建房安全隐患。<script>alert(1)</script>")
    (folder / "mini-gazette.txt").write_text(text, encoding="utf-8")
    evil = replace(settings, data_dir=folder, index_dir=tmp_path / "evil-index")
    ingest(evil, embedder=fake_embedder, progress=False)
    assistant = Assistant.load(evil, embedder=fake_embedder)
    doc = next(d for d in assistant.documents() if "<script>" in d.body)
    page = TestClient(build_app(assistant, evil)).get(f"/doc/{doc.doc_id}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text


def test_chat_escapes_the_question_and_lists_sources(assistant):
    turns = list(respond(Backend(assistant), f"<b>x</b> {QUESTION}", [], [], delay=0))
    history, previous, box = turns[-1]
    assert len(turns) > 3  # the answer streams in
    assert history[0] == {"role": "user", "content": f"&lt;b&gt;x&lt;/b&gt; {QUESTION}"}
    reply = history[1]["content"]
    assert "韩加政" in reply and "<b>" not in reply and "**[1]** [" in reply and "](/doc/" in reply
    assert "\n> " in reply and previous == [f"<b>x</b> {QUESTION}"] and box == ""


def test_sources_escape_and_truncate(assistant):
    answer = assistant.ask(QUESTION)
    c = answer.citations[0]
    evil = replace(answer, citations=(replace(c, title="<img src=x onerror=alert(1)>", quote="<i>" + "字" * 400),))
    md = sources_markdown(evil)
    assert "<img" not in md and "<i>" not in md and "&lt;img" in md and md.endswith("…")
    assert short_quote(" a \n\n b ") == "a b"
    numbered = sources_markdown(replace(answer, citations=(replace(c, quote="1. 编制规划"),)))
    assert "> 1\\. 编制规划" in numbered  # not rendered as an ordered list


def test_chat_shows_errors_as_messages(assistant, settings):
    history, _, _ = list(respond(Backend(assistant), QUESTION, [], [], year="1999", delay=0))[-1]
    assert "no document matches" in history[-1]["content"]

    def missing():
        raise IndexMissingError(f"no index in {settings.index_dir}: run `qa ingest`")

    history, _, _ = list(respond(Backend(missing), QUESTION, [], [], delay=0))[-1]
    assert history[-1]["content"].startswith(NO_INDEX)


def test_refusal_shows_suggestions(assistant):
    answer = assistant.ask("出租车起步价是多少")
    history, _, _ = list(respond(Backend(assistant), "出租车起步价是多少", [], [], delay=0))[-1]
    assert "没有找到" in history[-1]["content"] and answer.suggestions
    assert all(md_text(s) in history[-1]["content"] for s in answer.suggestions)
    bare = replace(answer, answer="公报中没有找到能回答这个问题的内容。")  # suggestions not in the text: listed
    assert all(md_text(s) in extras_markdown(bare) for s in answer.suggestions)


def test_follow_up_passes_the_previous_question_as_context(assistant):
    assert follow_up_context("它的副组长呢？", [QUESTION]) == QUESTION
    assert follow_up_context("Who chairs it?", ["q"]) == "q"
    assert follow_up_context("阳政办发〔2022〕57号讲什么内容", ["q"]) is None
    assert follow_up_context("它呢", []) is None

    calls = []

    class Recording(Assistant):
        def ask_stream(self, question, filters=None, k=None, context=None, mode=None):
            calls.append((context, mode))
            return super().ask_stream(question, filters=filters, k=k, context=context, mode=mode)

    recording = Recording(assistant.settings, assistant.data, assistant.retriever.embedder)
    list(respond(Backend(recording), "副组长呢", [], [QUESTION], delay=0))
    assert calls == [(QUESTION, "extractive")]


def test_llm_sentences_are_shown_as_they_verify_then_the_final_answer(assistant, scripted_llm):
    assistant.writer.use(scripted_llm(["组长是韩加政[1]。"]))
    turns = [h[-1]["content"] for h, _, _ in respond(Backend(assistant), QUESTION, [], [], mode="llm", delay=0)]
    assert any("each sentence checked" in t for t in turns)
    assert "组长是韩加政\\[1\\]" in turns[-1] and "checked…" not in turns[-1] and "/doc/" in turns[-1]


def test_ask_api_returns_the_cli_contract(assistant):
    obj = api_ask(Backend(assistant), QUESTION, "2022", "")
    assert set(obj) >= {"question", "answer", "refused", "mode", "citations", "timings_ms", "notices",
                        "suggestions"}
    assert set(obj["citations"][0]) >= {"n", "doc_id", "title", "doc_number", "issue", "page", "section",
                                        "quote", "url"}
    assert "韩加政" in obj["answer"] and obj["mode"] in available_modes()


def test_app_starts_without_an_index(tmp_path, settings):
    app = build_app(settings=replace(settings, index_dir=tmp_path / "none"))
    client = TestClient(app)
    assert client.get("/").status_code == 200
    assert "No index yet" in client.get("/config").text
    assert client.get("/doc/x").status_code == 503

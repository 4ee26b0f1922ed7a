import html
import json
import re
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient

from qa.api import Assistant
from qa.errors import IndexMissingError
from qa.ingest import ingest
from qa import chat
from qa.api import follow_up_context
from qa.chat import Backend, Turn, respond
from qa.errors import QAError
from qa.feedback import Feedback, dev_candidates, record, report
from qa.feedback import load as load_feedback
from qa.generate import fallback_note
from qa.render import answer_markdown, answer_plain, cells, conversation_markdown, short_quote
from qa.retrieve import Filters
from qa.ui import api_ask, available_modes, build_app

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


def _screens(assistant, question, turns=(), **kwargs):
    return list(respond(Backend(assistant), question, list(turns), **kwargs))


def test_chat_turn_shows_searching_then_the_answer_first_escaped(assistant):
    screens = _screens(assistant, f"<b>x</b> {QUESTION}")
    assert screens[0].messages[-1]["content"] == "*检索中…*" and not screens[0].done
    final = screens[-1]
    assert final.done and final.messages[0] == {"role": "user", "content": f"&lt;b&gt;x&lt;/b&gt; {QUESTION}"}
    reply = final.messages[1]["content"]
    answer = assistant.ask(QUESTION)
    assert reply.startswith(f'<p class="answer-head"><strong class="short">{answer.short_answer}</strong>')
    assert "<b>x" not in reply and '<a class="cite" href="/doc/' in reply and "<summary>来源 (" in reply
    assert final.record["q"] == f"<b>x</b> {QUESTION}" and final.record["a"]["short_answer"] == answer.short_answer


def test_answer_html_escapes_links_quotes_and_renders_rows_as_tables(assistant):
    answer = assistant.ask(QUESTION)
    c = answer.citations[0]
    evil = replace(answer, citations=(replace(c, title="<img src=x onerror=alert(1)>", quote='"><i>' + "字" * 400),))
    html_ = answer_markdown(evil)
    assert "<img" not in html_ and "<i>" not in html_ and "&lt;img" in html_ and '&quot;&gt;&lt;i&gt;' in html_
    assert short_quote(" a \n\n b ") == "a b" and short_quote("字" * 400).endswith("…")
    row = replace(answer, answer="组长 | 韩加政 | 市长[1]", short_answer=None,
                  citations=(replace(c, quote="组 长：\t韩加政\t市长"),))
    shown = answer_markdown(row)
    assert "<td>韩加政</td>" in shown and "|" not in shown.replace("&#x27;", "") and "\t" not in shown
    assert cells("一、总体要求") is None and cells("| a | b |") == ["a", "b"] and cells("|---|---|") is None


def test_plain_text_and_markdown_export_carry_full_citations(assistant):
    answer = assistant.ask(QUESTION)
    plain = answer_plain(answer, "http://host:7860")
    c = answer.citations[0]
    assert plain.startswith(answer.answer.split("\n")[0]) and "来源：" in plain
    assert f"http://host:7860{c.url}" in plain and c.title in plain and (c.doc_number or "") in plain
    assert "<" not in plain and "\\[" not in plain
    md = conversation_markdown([Turn(QUESTION, answer), Turn("问题二", None, "⚠️ 出错")], "http://host:7860")
    assert md.startswith("# 公报问答") and f"## {QUESTION}" in md and "## 问题二" in md and "⚠️ 出错" in md
    assert f"](http://host:7860{c.url.split('?')[0]}" in md
    english = answer_plain(replace(answer, question="Who leads it?"), "")
    assert "Sources:" in english and "来源" not in english


def test_chat_shows_errors_in_the_askers_language(assistant, settings):
    final = _screens(assistant, QUESTION, filters=Filters(year=1999))[-1]
    assert final.done and "没有文件符合筛选条件" in final.messages[-1]["content"] and final.record["a"] is None
    english = _screens(assistant, "Who leads the self-built housing group?", filters=Filters(year=1999))[-1]
    assert "no document matches" in english.messages[-1]["content"]

    def missing():
        raise IndexMissingError(f"no index in {settings.index_dir}: run `qa ingest`", zh="还没有索引")

    assert _screens(missing, QUESTION)[-1].messages[-1]["content"].startswith("还没有索引")


def test_refusal_shows_suggestions(assistant):
    answer = assistant.ask("出租车起步价是多少")
    reply = _screens(assistant, "出租车起步价是多少")[-1].messages[-1]["content"]
    assert "没有找到" in reply and answer.suggestions and "<strong" not in reply
    bare = replace(answer, answer="公报中没有找到能回答这个问题的内容。")  # suggestions not in the text: listed
    assert all(html.escape(s) in answer_markdown(bare) for s in answer.suggestions)


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
    earlier = Turn(QUESTION, assistant.ask(QUESTION))
    _screens(recording, "副组长呢", [earlier, Turn("坏问题", None, "⚠️")])  # an error turn is not context
    assert calls == [(QUESTION, "extractive")]


def test_llm_mode_shows_the_quoted_answer_at_once_then_checked_sentences(assistant, scripted_llm):
    assistant.writer.use(scripted_llm(["组长是韩加政[1]。"]))
    screens = [s.messages[-1]["content"] for s in _screens(assistant, QUESTION, mode="llm")]
    assert screens[0] == "*检索中…*"
    writing = [s for s in screens if s.startswith("*生成中")]
    assert writing and '<strong class="short">' in writing[0]  # the extractive answer, before the LLM's
    assert any("组长是韩加政\\[1\\]" in s for s in writing)
    assert "组长是韩加政" in screens[-1] and "生成中" not in screens[-1] and "/doc/" in screens[-1]


def test_llm_fallback_notice_is_in_the_askers_language(assistant, scripted_llm):
    assistant.writer.use(scripted_llm(["没有引用的句子。"]))
    answer = assistant.ask(QUESTION, mode="llm")
    assert answer.fallback and any(n.startswith("未显示生成的回答") for n in answer.notices)
    assert fallback_note("the LLM did not finish within 60 s", False) == "未显示生成的回答：大模型未在60秒内写完。以下是原文摘录的回答。"
    assert fallback_note("it cites no passage", True).startswith("LLM answer not shown: it cites no passage")


def test_conversations_are_kept_switched_and_deleted():
    store = chat.add_turn(None, {"q": "第一问", "a": None, "error": "x", "plain": "", "md": ""})
    first = store["current"]
    assert chat.choices(store) == [("第一问", first)]
    store = chat.new_conversation(store)
    store = chat.add_turn(store, {"q": "second question", "a": None, "error": "y", "plain": "", "md": ""})
    assert [label for label, _ in chat.choices(store)] == ["second question", "第一问"]
    assert chat.current(chat.select(store, first))["turns"][0]["q"] == "第一问"
    assert chat.select(store, "nope") == store
    kept = chat.delete(store, store["current"])
    assert kept["current"] == first and len(kept["conversations"]) == 1
    assert chat.valid("garbage") == chat.empty_store() and chat.current({"conversations": 3}) is None
    damaged = {"turns": [{"q": "ok", "a": None, "error": "e"}, {"nonsense": 1}]}
    assert [t.question for t in chat.turns_of(damaged)] == ["ok"]  # a damaged record is skipped


def test_a_saved_turn_shows_again_exactly(assistant):
    final = _screens(assistant, QUESTION)[-1]
    store = chat.add_turn(chat.empty_store(), final.record)
    assert chat.messages(chat.turns_of(chat.current(store))) == final.messages


def test_feedback_is_appended_reported_and_turned_into_dev_questions(tmp_path, settings, monkeypatch):
    path = tmp_path / "fb" / "feedback.jsonl"
    record(path, Feedback(QUESTION, True, {"short_answer": "市长"}))
    record(path, Feedback("5G补贴多少", False, {"answer": "错的"}, reason="答案错误 / wrong"))
    path.open("a", encoding="utf-8").write("not json\n")
    items, problems = load_feedback(path)
    assert [f.liked for f in items] == [True, False] and len(problems) == 1 and ":3:" in problems[0]
    text = report(items)
    assert "2 ratings: 👍 1, 👎 1" in text and "5G补贴多少" in text and "答案错误" in text
    (dev,) = dev_candidates(items)
    assert dev["question"] == "5G补贴多少" and dev["lang"] == "zh" and "错的" in dev["note"]

    from click.testing import CliRunner
    from qa.cli import main

    monkeypatch.setenv("QA_FEEDBACK_PATH", str(path))
    out = CliRunner().invoke(main, ["feedback", "--dev"])
    assert out.exit_code == 0 and json.loads(out.stdout.splitlines()[0])["question"] == "5G补贴多少"
    with pytest.raises(QAError, match="QA_FEEDBACK_PATH"):
        record(tmp_path / "fb" / "feedback.jsonl" / "x", Feedback("q", True))


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
    assert "还没有索引" in client.get("/config").text and "No index yet" in client.get("/config").text
    assert client.get("/doc/x").status_code == 503


def test_a_turn_that_cannot_be_answered_keeps_the_conversation_and_says_why(assistant):
    from qa.ui import make_filters

    earlier = Turn(QUESTION, assistant.ask(QUESTION))
    with pytest.raises(QAError) as bad:
        make_filters("20x2")
    screen = chat.failed("组长是谁", bad.value, [earlier])
    assert screen.done and screen.messages[:2] == chat.message(earlier)
    assert "年份 '20x2' 无效" in screen.messages[-1]["content"] and screen.record["a"] is None

"""LLM answers through the Assistant, with a scripted LLM: citations, verification, fall-back."""

import json
from qa.types import Draft, Final, Preview

import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.errors import InputError

Q = "自建房安全专项整治领导小组组长是谁？"


def with_llm(assistant, llm):
    assistant.writer.use(llm)
    return assistant


def test_evidence_first_prompt_gives_the_readers_answer_and_its_quotes(assistant, scripted_llm):
    extractive = assistant.ask(Q, mode="extractive")
    llm = scripted_llm(["领导小组组长是韩加政[1]。"])
    answer = with_llm(assistant, llm).ask(Q, mode="llm")
    system, user = (m["content"] for m in llm.messages[0])
    assert extractive.short_answer in user and Q in user and "[1]" in user and "韩加政" in user
    assert len(system) + len(user) < 900  # the reader's evidence, not eight whole chunks
    assert answer.mode == "llm" and not answer.fallback and answer.citations == extractive.citations
    assert answer.answer.startswith("领导小组组长是韩加政[1]。") and "韩加政" in answer.answer.split("\n\n", 1)[1]


def test_a_refused_question_never_asks_the_llm(assistant, scripted_llm):
    llm = scripted_llm(["组长是韩加政[1]。"])
    answer = with_llm(assistant, llm).ask("阳泉市2023年的GDP是多少", mode="llm")
    assert answer.refused and llm.calls == []


@pytest.mark.parametrize("reply,reason", [
    ("组长是王建国[1]。", "name"),                  # a name that is in no cited passage
    ("组长是韩加政，任期5年[1]。", "number"),        # a number that is not there
    ("组长是韩加政，依据阳政办发〔2021〕9号[1]。", "文号"),
    ("组长是市长[1]。", "post 市长"),                # the "市长[1]" case: a post the passage does not hold
    ("组长是韩加政，市住建局负责[1]。", "unit 市住建局"),
    ("The leader is the Mayor [1].", "post mayor"),  # English posts through the lexicon
    ("组长是韩加政[9]。", "not given"),              # a passage that does not exist
    ("NOT_FOUND", "no answer"),                     # the reader answered: NOT_FOUND is no refusal
])
def test_unverified_llm_answer_falls_back_to_extractive(assistant, scripted_llm, reply, reason):
    answer = with_llm(assistant, scripted_llm([reply])).ask(Q, mode="llm")
    assert answer.mode == "extractive" and reason in answer.fallback
    assert "韩加政" in answer.answer and any(x.startswith("未显示生成的回答") for x in answer.notices)


def test_a_sentence_without_marks_gets_the_marks_of_its_evidence(assistant, scripted_llm):
    answer = with_llm(assistant, scripted_llm(["组长是韩加政，市政府副市长。"])).ask(Q, mode="llm")
    assert answer.mode == "llm" and answer.answer.startswith("组长是韩加政，市政府副市长[1]。")


def test_stream_shows_only_verified_sentences_and_no_control_tokens(assistant, scripted_llm):
    llm = scripted_llm(["组长是韩加政[1]。", "组长是韩加政[1]。任期5年[1]。", "NOT_FOUND"])
    with_llm(assistant, llm)
    good = list(assistant.ask_stream(Q, mode="llm"))
    assert [type(i) for i in good] == [Preview, Draft, Final] and good[1].text == "组长是韩加政[1]。"
    assert good[0].answer.mode == "extractive" and good[0].answer.citations  # the quoted answer, at once
    assert good[-1].answer.mode == "llm" and "generate" in good[-1].answer.timings_ms
    bad = list(assistant.ask_stream(Q, mode="llm"))  # the second sentence fails: the draft is replaced
    assert [i.text for i in bad if isinstance(i, Draft)] == ["组长是韩加政[1]。"]
    assert bad[-1].answer.mode == "extractive" and "5年" in bad[-1].answer.fallback
    control = list(assistant.ask_stream(Q, mode="llm"))
    assert not any(isinstance(i, Draft) for i in control) and control[-1].answer.mode == "extractive"


def test_english_sentences_are_checked_by_value_and_through_the_lexicon():
    from qa.generate import check_sentence
    from qa.types import Citation

    cite = Citation(1, "d", "阳泉市洗选煤方案", None, "2020年第1期", 3, "", "淘汰洗选能力小于120万吨/年的企业，市长任组长", "")
    ok = check_sentence("Plants below 1.2 million tonnes a year are closed; the Mayor leads [1].", {1: cite})
    assert ok[2] == "" and ok[1] == (1,)
    assert "1.3 million" in check_sentence("Plants below 1.3 million tonnes go [1].", {1: cite})[2]
    assert "vice mayor" in check_sentence("The Vice Mayor leads [1].", {1: cite})[2]
    assert check_sentence("Plants below 1,200,000 tonnes a year are closed.", {1: cite})[1] == (1,)


def test_stream_checked_marks_a_bare_not_found_as_refused(scripted_llm):
    from qa.generate import stream_checked
    from qa.llm import build_messages
    from qa.types import Citation

    cites = {n: Citation(n, "d", "t", None, "i", 1, "", text, "") for n, text in
             enumerate(["组长由市长担任。", "办公室设在市住建局。"], start=1)}
    messages = build_messages("谁任组长", [(n, "", c.quote) for n, c in cites.items()])
    out = list(stream_checked(scripted_llm(["组长由市长担任[1]。"]), messages, cites, 100, 60))
    assert [type(x).__name__ for x in out] == ["Draft", "Checked"] and out[-1].cited == (1,)
    refused = list(stream_checked(scripted_llm(["NOT_FOUND"]), messages, cites, 100, 60))
    assert len(refused) == 1 and refused[0].refused


def test_timeout_falls_back(assistant, scripted_llm):
    from dataclasses import replace

    assistant.settings = replace(assistant.settings, llm_timeout=0.0)
    answer = with_llm(assistant, scripted_llm(["组长是韩加政[1]。"])).ask(Q, mode="llm")
    assert answer.mode == "extractive" and "did not finish" in answer.fallback


def test_broken_backend_falls_back(assistant, scripted_llm):
    class Broken(scripted_llm):
        def _stream(self, *args):
            raise ConnectionError("server went away")
            yield ""

    answer = with_llm(assistant, Broken([])).ask(Q, mode="llm")
    assert answer.mode == "extractive" and "server went away" in answer.fallback


def test_english_question_is_translated_for_retrieval_when_asked(assistant, scripted_llm):
    from dataclasses import replace

    assistant.settings = replace(assistant.settings, llm_translate=True)
    llm = scripted_llm(["自建房 安全 专项整治 领导小组 组长", "The group leader is 韩加政 [1]."])
    answer = with_llm(assistant, llm).ask("Who leads the self-built housing safety group?", mode="llm")
    assert len(llm.calls) == 2 and "translate" in answer.timings_ms
    assert "韩加政" in answer.answer


def test_auto_without_llm_is_extractive_and_llm_mode_explains(assistant):
    with_llm(assistant, None)
    assert assistant.ask(Q, mode="auto").mode == "extractive"
    with pytest.raises(InputError, match="make llm-install"):
        assistant.ask(Q, mode="llm")
    with pytest.raises(InputError, match="not one of"):
        assistant.ask(Q, mode="poetry")


def test_cli_mode_option(settings, fake_embedder, monkeypatch):
    from qa.ingest import ingest

    ingest(settings, embedder=fake_embedder, progress=False)
    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_CHUNK_SIZE", "200")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "20")
    monkeypatch.setenv("QA_LLM_BACKEND", "none")
    monkeypatch.setattr("qa.api.load_embedder", lambda s: fake_embedder)
    ok = CliRunner().invoke(main, ["ask", Q, "--json", "--mode", "auto"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["mode"] == "extractive"
    bad = CliRunner().invoke(main, ["ask", Q, "--mode", "llm"])
    assert bad.exit_code == 2 and "make llm-install" in bad.output


def test_closing_the_stream_stops_the_llm(assistant, scripted_llm):
    stopped = []

    class Slow(scripted_llm):
        def _stream(self, *args):
            try:
                yield "组长是韩加政[1]。"
                yield "办公室设在"
                yield "市住建局[1]。"
            finally:
                stopped.append(True)

    stream = with_llm(assistant, Slow([])).ask_stream(Q, mode="llm")
    first = next(e for e in stream if isinstance(e, Draft))
    stream.close()  # a new question or a stop button: the generation is cancelled
    assert first.text == "组长是韩加政[1]。" and stopped == [True]


def test_document_numbers_match_their_full_form_and_question_figures_may_be_repeated():
    from qa.generate import check_sentence
    from qa.types import Citation

    cite = Citation(1, "d", "关于康建光任职的通知", "阳政任字〔2021〕2号", "2021年第1期", 3, "", "康建光为阳泉市政务服务中心主任", "")
    assert check_sentence("康建光 was appointed on 4 February 2021 (政任字〔2021〕2号) [1].", {1: cite},
                          "2021年2月4日")[2] == ""
    assert "2023" in check_sentence("In 2023 康建光 became director [1].", {1: cite})[2]
    assert check_sentence("In 2023 康建光 became director [1].", {1: cite}, "；2023；2023年")[2] == ""


def test_an_english_answer_that_drops_or_romanises_the_name_falls_back(scripted_llm):
    from qa.generate import stream_checked
    from qa.types import Citation

    cites = {1: Citation(1, "d", "t", None, "i", 1, "", "组 长：韩加政 市政府副市长", "")}
    messages = [{"role": "user", "content": "Who leads?"}]
    pinyin = list(stream_checked(scripted_llm(["The group is led by Han Jiazheng [1]."]), messages, cites, 100, 60,
                                 "韩加政（市政府副市长）"))
    assert "韩加政" in pinyin[-1].problem
    kept = list(stream_checked(scripted_llm(["The group is led by 韩加政 [1]."]), messages, cites, 100, 60,
                               "韩加政（市政府副市长）"))
    assert not kept[-1].problem and kept[-1].cited == (1,)

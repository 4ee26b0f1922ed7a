"""The reader's parts, each on its own: question analysis, units, features, scorer, refusal rules,
composition, strategies, and the standalone reader / `qa read`."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

from qa.cli import main
from qa.lexical import IdfTable
from qa.reader import Evidence, Reader, analyse
from qa.reader.compose import compose, spans_of
from qa.reader.features import FEATURES, bigram_share, date_match, fills_slot, is_lead_in
from qa.glossary import expand
from qa.reader.question import asked_slots, critical_terms, has_term, question_type
from qa.reader.refusal import check, missing_names, missing_specifics, support, years_outside
from qa.reader.scorer import Scorer, train
from qa.reader.strategies import Tools, read_sentences
from qa.reader.units import display, split_units
from qa.types import Chunk, Citation, Hit

ROWS = "成立阳泉市自建房安全专项整治工作领导小组：\n组 长：\t韩加政\t市政府副市长\n副组长：\t刘广利\t市政府副秘书长\n"
IDF = IdfTable({}, default=1.0)


def chunk(text: str, doc_id: str = "d1", start: int = 0) -> Chunk:
    return Chunk(chunk_id=f"{doc_id}-c1", doc_id=doc_id, section="", start=start, end=start + len(text),
                 text=text, header="")


def hit(text: str, doc_id: str = "d1") -> Hit:
    return Hit(chunk=chunk(text, doc_id), score=1.0)


@pytest.mark.parametrize("question, qtype", [
    ("自建房安全专项整治工作领导小组组长是谁", "who"), ("阳政办发〔2022〕57号讲什么", "docnum"),
    ("阳政发〔2022〕19号印发的是什么？", "docnum"), ("5G基站补贴标准是多少", "number"),
    ("办公室设在哪个部门", "dept"), ("什么时候开始施行", "when"), ("认养文物有哪些要求", "list"),
    ("退费怎么办理", "procedure"), ("Who leads the railway group?", "who"), ("阳泉的天气", "general"),
    ("Which bureau leads the survey of 窨井盖?", "dept"), ("What's the reference number of the 2020 plan?", "docnum"), ("Over what period did the gas safety campaign run?", "when"), ("A 数字经济企业 got renamed - what does it have to do?", "procedure"),
    ("企业更名后要做什么？", "procedure"), ("What does the '131N' framework stand for?", "list"),
    ("What's the size limit for a self-built house?", "number")])
def test_question_type(question, qtype):
    assert question_type(question) == qtype


@pytest.mark.parametrize("question, slots", [
    ("领导小组副组长是谁", ("副组长",)), ("办公室主任是谁？", ("主任",)),
    ("Who leads the 自建房 inspection?", ("组长",)), ("Who is the deputy leader?", ("副组长",)),
    ("Who was appointed deputy director of the Housing Bureau?", ("副局长",)),
    ("Who became director of the Big Data Bureau?", ("局长",)), ("常务副组长是谁", ("常务副组长",))])
def test_asked_slots(question, slots):
    assert asked_slots(question) == slots


def test_analysis_keeps_specifics_years_months_and_unit_aliases():
    q = analyse("2022年9月谁出任市人社局局长？")
    assert q.years == (2022,) and q.months == ("2022-09",) and "2022" in q.critical
    assert "人力资源" in q.tokens  # 人社局 -> 人力资源和社会保障局
    assert critical_terms("第四次全国经济普查领导小组组长是谁") == ("第四次",)
    assert "谁" not in "".join(q.content) and "是" not in q.bigrams


def test_english_specifics_ordinals_quarters_levels_and_measures():
    assert critical_terms("Who chairs the leading group for the 8th national census?") == ("第八",)
    assert "第二" in critical_terms("Which companies won the second quality award?")
    assert critical_terms("How quickly must counties send the first report?") == ()  # not 第一
    assert critical_terms("coverage rate in Q3 2022") == ("2022", "第三季度")
    assert has_term("第三季度", "2022年三季度覆盖率达40%") and not has_term("第一季度", "2022年第二季度")
    assert "Ⅳ级" in expand("During a Level IV flood response") and "第三季度" in expand("in Q3")
    assert [m.pattern for m in analyse("Below what washing capacity are plants phased out?").measures] == [
        "吨|千瓦|瓦|立方米|标准箱|TEU"]
    assert analyse("Which bureau surveys the city's built-up area?").measures == ()  # an area, not asked
    assert analyse("Who heads the coking capacity reduction group?").measures == ()


def test_units_are_rows_and_sentences_with_exact_offsets():
    c = chunk("（一）加强组织领导\n市政府成立领导小组，统筹推进工作。组长由市长担任；副组长由\n副市长担任。\n" + ROWS, start=100)
    units = split_units(c, 0)
    texts = [u.text for u in units]
    assert texts[0] == "（一）加强组织领导"  # a heading is not joined to the next line
    assert any(t.endswith("副组长由\n副市长担任。") for t in texts)  # a line broken by OCR is joined
    assert "组 长：\t韩加政\t市政府副市长" in texts
    for u in units:
        assert c.text[u.start - 100:u.end - 100] == u.text
    assert display("| 组 长：王明厚 | 副市长 |") == "组长：王明厚 副市长"
    assert display("组 长：\t韩加政\t市政府副市长") == "组长： 韩加政 市政府副市长"


@pytest.mark.parametrize("text, slot, fills", [
    ("组 长：\t韩加政\t市政府副市长", "组长", True), ("副组长：\t刘广利\t市政府副秘书长", "组长", False),
    ("副组长：\t刘广利\t市政府副秘书长", "副组长", True), ("市政府成立由市长任组长的领导小组", "组长", True),
    ("组长由市政府副市长王明厚担任", "组长", True), ("| 副组长 | 李四 | 市发展改革委主任 |", "副组长", True),
    ("领导小组负责统筹协调", "组长", False)])
def test_fills_slot(text, slot, fills):
    assert fills_slot(text, slot) is fills


def test_small_features():
    assert is_lead_in("成立领导小组：") and not is_lead_in("组长：韩加政")
    q = analyse("2022年9月谁出任市人社局局长")
    assert date_match(q, "2022-09-27") == 1.0 and date_match(q, "2022-03-01") == 0.5
    assert date_match(q, "2021-09-01") == 0.0 and date_match(analyse("谁是局长"), "2021-09-01") == 0.5
    assert bigram_share(analyse("基站补贴"), "5G基站补贴标准") == 1.0
    assert bigram_share(analyse("基站补贴"), "对5G基站用电给予补贴") == pytest.approx(2 / 3)


def test_refusal_rules_one_by_one():
    hits = [hit(ROWS)]
    assert years_outside(analyse("2023年的组长是谁"), {2020, 2021, 2022}, hits) == [2023]
    assert years_outside(analyse("2022年的组长是谁"), {2020, 2021, 2022}, hits) == []
    assert missing_specifics(analyse("第四次普查领导小组组长是谁"), hits) == ["第四次"]
    assert missing_names(analyse("平定县自建房领导小组组长是谁"), hits) == ["平定县"]
    assert support(analyse("自建房领导小组组长是谁"), hits, IDF) == 1.0
    assert support(analyse("出租车起步价是多少"), hits, IDF) < 0.4
    years = {2020, 2021, 2022}
    assert check(analyse("阳泉市2023年的GDP是多少"), hits, IDF, years, 0.4).rule == "year"
    assert check(analyse("出租车起步价是多少"), hits, IDF, years, 0.4).rule == "support"
    assert check(analyse("自建房领导小组组长是谁"), hits, IDF, years, 0.4) is None
    assert check(analyse("组长是谁"), [], IDF, years, 0.4).rule == "no_evidence"
    assert check(analyse("2023年的组长是谁"), hits, IDF, years, 0.4, routed=True) is None


def _cite(c: Chunk, start: int, end: int, n: int) -> Citation:
    return Citation(n=n, doc_id=c.doc_id, title="t", doc_number=None, issue="", page=None, section="",
                    quote=c.text[start - c.start:end - c.start], url="", start=start, end=end)


def test_compose_short_answer_first_and_one_citation_per_quoted_span():
    units = split_units(chunk(ROWS), 0)
    lead, row = units[0], units[1]
    assert [len(s[3]) for s in spans_of([row, lead])] == [2]  # neighbours share one quote
    text, citations = compose([row, lead], _cite, short_answer="韩加政（市政府副市长）")
    assert text.startswith("韩加政（市政府副市长）[1]\n\n成立")
    assert len(citations) == 1 and citations[0].quote == ROWS[:citations[0].end].strip()
    assert "\t" not in text and "|" not in text


def test_scorer_learns_to_rank_the_answering_unit_first():
    rng = np.random.default_rng(0)
    groups = []
    for _ in range(40):
        x = rng.random((6, len(FEATURES)))
        y = np.zeros(6)
        best = int(np.argmax(x[:, 0]))  # the unit with the highest first feature answers
        y[best] = 1
        groups.append((x, y))
    w = train(groups)
    assert w[0] > 0 and np.mean([y[int(np.argmax(x @ w))] for x, y in groups]) > 0.9
    with pytest.raises(ValueError, match="nothing to learn"):
        train([(np.ones((2, len(FEATURES))), np.zeros(2))])


def test_weights_file_matches_the_features(tmp_path):
    scorer = Scorer.load()
    assert len(scorer.weights) == len(FEATURES)
    bad = scorer.to_dict() | {"features": ["x"]}
    (tmp_path / "w.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        Scorer.load(tmp_path / "w.json")


def test_sentence_strategy_picks_the_slot_row():
    tools = Tools(idf=IDF, scorer=Scorer.load())
    candidate = read_sentences(analyse("自建房领导小组副组长是谁"), Evidence(hits=(hit(ROWS),)), tools)
    assert candidate.short_answer == "刘广利（市政府副秘书长）"
    assert candidate.units[0].text.startswith("副组长")
    nothing = read_sentences(analyse("补贴标准是多少"), Evidence(hits=(hit(ROWS),)), tools)
    assert nothing is None  # no number anywhere: no answer of the asked type


def test_standalone_reader_answers_and_refuses_from_given_passages():
    reader = Reader.standalone()
    answer = reader.read("5G基站电价补贴是多少", ["市政府成立领导小组。", "对5G基站用电给予0.35元/千瓦时的电价补贴。"])
    assert answer.short_answer == "0.35元/千瓦时" and not answer.refused
    (c,) = answer.citations
    assert c.doc_id is None and c.passage == 2 and c.quote == "对5G基站用电给予0.35元/千瓦时的电价补贴。"
    refused = reader.read("出租车起步价是多少", ["对5G基站用电给予补贴。"])
    assert refused.refused and refused.citations == () and "段落" in refused.answer


def test_cli_read_json_lines_and_errors():
    lines = [json.dumps({"question": "自建房领导小组组长是谁", "passages": [ROWS]}, ensure_ascii=False),
             "not json", json.dumps({"question": "组长是谁", "passages": []})]
    result = CliRunner().invoke(main, ["read", "--json", "--file", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 2
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert out[0]["short_answer"] == "韩加政（市政府副市长）" and out[0]["citations"][0]["passage"] == 1
    assert set(out[0]) >= {"question", "answer", "short_answer", "refused", "mode", "citations", "timings_ms",
                           "notices", "suggestions", "fallback"}
    assert out[1] == {"line": 2, "error": out[1]["error"]} and "not JSON" in out[1]["error"]
    assert "'passages' must be a non-empty list" in out[2]["error"]
    usage = CliRunner().invoke(main, ["read", "组长是谁"])
    assert usage.exit_code == 2 and "--passage" in usage.output


TWO_GROUPS = ("成立阳泉市防汛抗旱指挥部：\n指挥长：\t张三\t副市长\n副指挥长：\t李四\t市水利局局长\n"
              "成立阳泉市抗震救灾指挥部：\n指挥长：\t王五\t副市长\n副指挥长：\t赵六\t市应急局局长\n")


def test_follow_up_about_a_post_in_a_document_with_two_bodies_asks_which():
    from qa.api import Assistant
    from qa.index import IndexData
    from qa.sources import Sources

    data = IndexData(manifest={}, documents={}, chunks=[chunk(TWO_GROUPS)], vectors=None, dense=None, lexical=None)
    sources = Sources(data)
    assert sources.groups_with("d1", "副指挥长") == ["阳泉市防汛抗旱指挥部", "阳泉市抗震救灾指挥部"]
    assistant = object.__new__(Assistant)
    assistant.sources = sources
    ask = assistant._which_group("副指挥长呢？", "指挥长是谁", [hit(TWO_GROUPS)])
    assert ask.refused and ask.refusal_rule == "ambiguous" and ask.suggestions == tuple(sources.groups_with("d1", "副指挥长"))
    assert "请问是哪一个的副指挥长" in ask.answer
    assert assistant._which_group("副指挥长呢？", "防汛抗旱指挥部指挥长是谁", [hit(TWO_GROUPS)]) is None


def test_specifics_match_whole_numbers_and_english_ordinals():
    from qa.reader.question import chinese_number, has_term

    assert critical_terms("首次突破20亿元能拿多少奖励") == ("20亿元",)
    assert has_term("20亿元", "突破20亿的企业") and not has_term("20亿元", "2020年突破10亿元")
    assert not has_term("20", "2020年") and has_term("2025", "到2025年")
    assert critical_terms("Who chairs the group for the 8th national census?") == ("第八",)
    assert [chinese_number(n) for n in (8, 10, 12, 20)] == ["八", "十", "十二", "二十"]


def test_repealed_document_is_read_from_the_sentence_that_names_it():
    from qa.reader.compose import join_texts

    text = "本预案自印发之日起实施。2013年12月6日印发的《阳泉市地震应急预案》（阳政办发〔2013〕167号）同时废止。\n"
    lead = split_units(chunk("阳泉市人民政府办公室关于印发阳泉市地震应急预案的通知\n阳政办发〔2021〕8号\n", "d2"), 0)[0]
    tools = Tools(idf=IDF, scorer=Scorer.load())
    q = analyse("新版地震应急预案印发后，哪份旧预案被废止？")
    evidence = Evidence(hits=(hit(text),), lead=lead, lead_label="阳政办发〔2021〕8号《…》")
    from qa.reader.strategies import document_lead

    assert q.qtype == "docnum" and document_lead(q, evidence, tools) is None
    candidate = read_sentences(q, evidence, tools)
    assert "阳政办发〔2013〕167号" in candidate.short_answer
    assert join_texts(["按照《…的通知》", "（阳政办发〔2019〕59号）要求"]) == "按照《…的通知》（阳政办发〔2019〕59号）要求"


def test_refusal_model_learns_and_refuses_a_stale_file():
    from qa.reader.verdict import SIGNALS, RefusalModel, fit

    rng = np.random.default_rng(0)
    x = rng.random((80, len(SIGNALS)))
    unanswerable = (x[:, 1] < 0.3).astype(float)  # answers that fit the question badly (low focus)
    weights, bias = fit(x, unanswerable)
    model = RefusalModel(weights, bias, 0.5)
    assert weights[1] < 0 and np.mean([model.refuses(r) == bool(u) for r, u in zip(x, unanswerable)]) > 0.9
    assert RefusalModel.from_dict(model.to_dict()).threshold == 0.5 and RefusalModel.from_dict(None) is None
    with pytest.raises(ValueError, match="retrain"):
        RefusalModel.from_dict(model.to_dict() | {"signals": ["support"]})


def test_english_short_answers_render_exactly_with_the_original():
    from qa.reader.english import render

    assert render("市长") == "the Mayor (市长)"
    assert render("2022年6月-9月中旬") == "June to mid-September 2022 (2022年6月-9月中旬)"
    assert render("0.35元/千瓦时") == "0.35 yuan/kWh (0.35元/千瓦时)"
    assert render("600万元") == "6 million yuan (600万元)"
    assert render("每周召开1次") == "once a week (每周召开1次)"
    assert render("3个月内") == "within 3 months (3个月内)"
    assert render("自印发之日起") == "from the date of issue (自印发之日起)"
    assert render("市卫健委副主任") == "the Deputy Director of the Municipal Health Commission (市卫健委副主任)"
    assert render("组长：刘文华；办公室主任：石峥") == "Head: 刘文华; Office Director: 石峥 (组长：刘文华；办公室主任：石峥)"
    assert render("阳政办发〔2022〕57号") is None and render("王耀东") is None  # the same in English
    assert render("整治工作的具体要求") is None  # nothing exact to say: the Chinese is kept
    assert render("开工前一个月") == "1 month before construction starts (开工前一个月)"
    assert render("康建光：2021年2月4日（阳政任字〔2021〕2号）任命为阳泉市大数据应用局局长").startswith(
        "康建光 was appointed the Director of the Municipal Big Data Application Bureau on 4 February 2021 (阳政任字〔2021〕2号)")
    assert render("2020年1月23日（阳政任字〔2020〕3号）免去阳泉市民政局局长").startswith(
        "Removed as Director of the Municipal Civil Affairs Bureau on 23 January 2020")
    assert render("灾害发生后30分钟内") == "within 30 minutes after it occurs (灾害发生后30分钟内)"
    assert render("核查验收阶段：2020年11月1日至11月30日") == (
        "1 November to 30 November 2020 (核查验收阶段：2020年11月1日至11月30日)")


def test_deadlines_relative_to_an_event_are_when_answers():
    from qa.reader.spans import answer_span

    text = "（四）建房人在开工前一个月到乡（镇）人民政府规划建设办公室进行登记。"
    assert answer_span("When must a self-builder register?", "when", text) == "开工前一个月"
    assert answer_span("多快报告", "when", "各县区防指要在灾害发生后30分钟内将初步情况报告市防指") == "发生后30分钟内"


def test_a_sum_of_money_asked_needs_yuan_but_a_rate_does_not():
    from qa.reader.question import analyse

    money = analyse("How much is the one-off reward per drug variety?").measures
    assert money and all(m.search("奖励50万元") for m in money) and not any(m.search("70%") for m in money)
    assert not any(m.pattern == "元" for m in analyse("补贴比例是多少").measures)


def test_answer_about_another_place_or_year_is_refused():
    from qa.reader.question import analyse
    from qa.reader.refusal import conflicting_place, conflicting_year, title_years

    q = analyse("平定县2021-2022年土地征收成片开发方案批了多少公顷？")
    assert conflicting_place(q, "同意你县所报的盂县2021-2022年土地征收成片开发总面积439.3345公顷") == "盂县"
    assert conflicting_place(q, "平定县成片开发总面积100公顷") is None
    assert title_years("阳泉市城镇污水处理提质增效三年行动方案（2019—2021年）") == {2019, 2020, 2021}
    q = analyse("2021年水污染治理攻坚方案要求断面达到几类水质？")
    assert conflicting_year(q, "2020年，断面达到II类水质", "阳泉市2020年水污染治理攻坚方案") == 2020
    assert conflicting_year(q, "到2021年达到III类", "阳泉市2020年水污染治理攻坚方案") is None
    rated = analyse("2021年度政务公开考核，哪些单位被评为优秀等次？")  # the 2020 results, issued in 2021
    assert conflicting_year(rated, "阳政办函〔2021〕28号 …被评为优秀等次", "关于2020年度政务公开工作考核情况通知") == 2020
    assert conflicting_year(rated, "市政府办公室于2021年1月，对全市39个单位考核", "关于2020年度政务公开工作考核情况通知") == 2020
    assert conflicting_year(rated, "2021年度考核结果如下", "关于2020年度政务公开工作考核情况通知") is None
    event = analyse("After the Feb 2021 provincial meeting, what did each unit have to report?")
    assert conflicting_year(event, "会议精神…3个工作日内报送", "关于2020年度全市13710督办系统工作情况的通知") is None


def test_english_share_and_limit_questions_ask_for_a_number():
    from qa.reader.question import analyse

    assert analyse("By 2025, what share of secondary hospitals must open a geriatrics department?").qtype == "number"
    assert analyse("Up to what load do small enterprises get a free grid connection?").qtype == "number"
    assert analyse("Below what washing capacity are coal washing plants phased out?").qtype == "number"


def test_english_rendering_of_limits_and_effective_dates():
    from qa.reader.english import render

    assert render("160千瓦及以下") == "at most 160 kW (160千瓦及以下)"
    assert render("于2021年2月1日起正式实施") == "in force from 1 February 2021 (于2021年2月1日起正式实施)"


def test_year_conflict_refusal_says_which_year_the_text_is_about():
    from qa.reader.messages import refusal_text
    from qa.reader.refusal import Refusal

    assert "2020年的情况" in refusal_text(Refusal("year_conflict", "2020"), english=False)
    assert "about 2020" in refusal_text(Refusal("year_conflict", "2020"), english=True)


def test_english_names_of_the_bilingual_lexicon_expand_to_chinese_terms():
    from qa.glossary import expand

    assert "大数据应用局" in expand("What does the Big Data Application Bureau do?").split()
    assert "窨井盖" in expand("Who checks manhole covers?").split()


def test_a_numbered_line_ending_mid_list_continues_on_the_next():
    c = chunk("（一）全市5个国家重点镇，即娘子关镇、\n荫营镇、冶西镇、南娄镇、西烟镇；\n（二）镇区常住人口2000人以上的8个建制镇。", start=0)
    texts = [u.text for u in split_units(c, 0)]
    assert texts[0] == "（一）全市5个国家重点镇，即娘子关镇、\n荫营镇、冶西镇、南娄镇、西烟镇；"
    assert texts[1].startswith("（二）")


@pytest.mark.parametrize("question, count", [
    ("“五城联创”具体是创建哪五块牌子？", 5), ("全市5个国家重点镇是哪几个？", 5), ("Which two Great Wall 关堡 are there?", 2), ("Which five 重点镇 are covered?", 5),
    ("第三届质量奖颁给了哪几家企业？", None), ("2020年度13710督办较好的是哪几个单位？", None),
    ("谁是组长", None)])  # not a list question
def test_how_many_items_a_list_question_expects(question, count):
    assert analyse(question).count == count


def test_list_features_count_items_and_the_asked_number():
    from qa.reader.features import list_fit

    q = analyse("全市5个国家重点镇是哪几个？")
    assert list_fit(q, "（一）全市5个国家重点镇，即娘子关镇、荫营镇、冶西镇、南娄镇、西烟镇；") == {
        "enum": 5 / 8, "count_match": 1.0, "counted": 1.0}
    assert list_fit(q, "按照“突出重点、先易后难、由点到面”的路径，以重点镇为试点。")["count_match"] == 0.0
    assert list_fit(q, "率先推进有基础的建制镇。")["enum"] == 0.0
    assert list_fit(analyse("谁是组长"), "甲、乙、丙") == {"enum": 0.0, "count_match": 0.0, "counted": 0.0}  # not asked


def test_a_rate_asks_for_a_share_and_a_price_per_unit_for_that_unit():
    rate = analyse("What was the redemption rate of the coupons?").measures
    assert rate and any(m.search("核销率85%") for m in rate) and not all(m.search("安排专项资金600万元") for m in rate)
    assert analyse("What compensation rate applies to reduced coking capacity?").measures == ()  # 30元/吨
    per_m2 = analyse("租金补贴每平方米多少钱？").measures
    assert all(m.search("每平方米10元") for m in per_m2) and not all(m.search("50万元奖励") for m in per_m2)


def test_colloquial_fillers_are_not_question_words():
    content = analyse("建制镇污水处理三年攻坚里，那份方案到时候要建成什么？").content
    assert "建制镇" in content and not {"里", "那份", "到时候", "时候"} & set(content)
    assert "里程" in analyse("绿道里程是多少？").content or "里程" in "".join(analyse("绿道里程是多少？").content)


def test_a_question_about_another_ordinal_is_refused():
    from qa.reader.question import analyse
    from qa.reader.refusal import conflicting_ordinal

    census = "关于认真做好我市第七次全国人口普查工作的通知"
    assert conflicting_ordinal(analyse("阳泉市第四次全国经济普查领导小组组长是谁？"), "组 长：黄海涛", census) == "第七次"
    assert conflicting_ordinal(analyse("第七次人口普查领导小组组长是谁"), "组 长：黄海涛", census) is None
    assert conflicting_ordinal(analyse("Who chairs the leading group for the 8th national population census?"), "组长", census) == "第七次"
    assert conflicting_ordinal(analyse("第12批名单有谁"), "第十二批名单", "") is None  # 12 and 十二 are the same
    assert conflicting_ordinal(analyse("质量奖评审委员会主任是谁"), "主任", "关于第三届阳泉市质量奖的决定") is None


def test_a_named_kind_must_be_named_not_echoed():
    from qa.reader.question import analyse
    from qa.reader.refusal import missing_kind

    hospitals = analyse("按病种分值付费首批试点医院是哪几家？")
    assert missing_kind(hospitals, ["按照暂行办法完成首批试点医院信息化改造，首批试点医院启动模拟付费；"]) == ("医院", "hospital")
    assert missing_kind(hospitals, ["首批试点医院为市第一人民医院、市第三人民医院"]) is None
    assert missing_kind(analyse("Which third-party company provides technical support?"),
                        ["组织我市医疗机构临床专家、病案管理专家"]) == ("企业", "company")
    assert missing_kind(analyse("市级医药储备由哪家企业承储？"), ["由国药山西阳泉医药有限公司承储"]) is None
    assert analyse("Which agency decides which companies get certified?").kinds == ()  # asks for an agency


def test_figures_relative_to_the_asked_quantity_do_not_answer_it():
    from qa.reader.question import analyse
    from qa.reader.refusal import relative_only

    asked = analyse("What is the base premium rate (基准费率) of work-safety liability insurance?")
    assert relative_only(asked, "当年保险费率在基准费率的基础上提高幅度分别不低于10%、20%") == "基准费率"
    assert relative_only(analyse("基准费率是多少"), "基准费率为0.5%，在基准费率的基础上上浮") is None
    assert relative_only(analyse("在基准费率基础上提高多少"), "在基准费率的基础上提高幅度不低于10%") is None


def test_chinese_terms_written_in_an_english_question_must_be_in_the_evidence():
    from qa.reader.question import analyse
    from qa.reader.refusal import unmatched_terms

    tiers = analyse("What contribution tiers (缴费档次) can individuals choose?")
    assert tiers.written == ("缴费档次",)
    assert unmatched_terms(tiers, ["个人缴费给予每人每年30元补贴"]) == ["缴费档次"]
    sewage = analyse("In the 污水提质增效 three-year plan, who leads new sewer pipes?")
    assert unmatched_terms(sewage, ["城镇污水处理提质增效三年行动方案"]) == []  # an abbreviation passes
    assert analyse("What's the 文号 of the plan?").written == ()  # a question word
    assert analyse("缴费档次有哪些").written == ()  # Chinese questions: support and specifics do this


def test_the_new_refusals_say_why_in_the_question_language():
    from qa.reader.messages import refusal_text
    from qa.reader.refusal import Refusal

    assert "第七次" in refusal_text(Refusal("ordinal_conflict", "第七次"), english=False)
    assert "the 第七次" in refusal_text(Refusal("ordinal_conflict", "第七次"), english=True)
    assert "具体的医院" in refusal_text(Refusal("kind_missing", "医院|hospital"), english=False)
    assert "no hospital" in refusal_text(Refusal("kind_missing", "医院|hospital"), english=True)
    assert "在基准费率基础上的调整" in refusal_text(Refusal("relative_only", "基准费率"), english=False)
    assert "relative to the 基准费率" in refusal_text(Refusal("relative_only", "基准费率"), english=True)

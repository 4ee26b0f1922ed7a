"""Fact records (qa/facts/): each table and prose form parsed from a small fixture, unit aliases,
entity linking (including the list answer when several bodies fit), and record answers quoting
exactly their source span."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from qa.facts import Fact, FactBase, canonical_unit, extract
from qa.facts.answer import answer_from_facts
from qa.facts.appointments import extract_appointments
from qa.facts.documents import extract_document_facts
from qa.facts.groups import abbreviates, extract_groups, split_people
from qa.facts.link import asked_fields, asked_roles, post_match, short_years
from qa.reader.question import analyse
from qa.types import Document, Issue

ISSUE = Issue(source="fixture.txt", year=2022, number=4, running_number=None, published=None)


def make_doc(body: str, title: str = "阳泉市人民政府办公室关于成立阳泉市测试工作领导小组的通知",
             number: str = "阳政办函〔2022〕1号", date: str = "2022-07-05", doc_id: str = "d1") -> Document:
    head = f"{title}\n\n{number}\n\n"
    text = head + body
    return Document(doc_id=doc_id, title=title, doc_number=number, doc_number_norm=number, issuer="阳泉市人民政府办公室",
                    date=date, category=None, page=1, source="fixture.txt", issue=ISSUE, start=0,
                    body_start=len(head), end=len(text), body=text)


def by_role(facts: list[Fact], role: str) -> list[Fact]:
    return [f for f in facts if f.role == role]


def quote(doc: Document, fact: Fact) -> str:
    return doc.text(fact.start, fact.end)


# --- leading bodies ---------------------------------------------------------------------------

def test_tab_table_rows_continuations_and_second_column():
    doc = make_doc("附件：阳泉市数字政府建设领导小组成员名单\n\n"
                   "组 长：\t雷健坤\t市委副书记、市长\t雷永平\t市金融办主任\n"
                   "副组长：\t黄海涛\t市委常委、常务副市长\n"
                   "\t魏海文\t市统计局局长\n"
                   "成 员：\t刘 鹏\t市委宣传部副部长\n")
    facts = extract_groups(doc)
    head = by_role(facts, "组长")
    assert [(f.person, f.post) for f in head] == [("雷健坤", "市委副书记、市长")]
    assert head[0].subject == "阳泉市数字政府建设领导小组"
    assert quote(doc, head[0]).startswith("组 长：") and "雷健坤" in quote(doc, head[0])
    assert [f.person for f in by_role(facts, "副组长")] == ["黄海涛", "魏海文"]
    assert {f.person for f in by_role(facts, "成员")} == {"雷永平", "刘鹏"}  # right-hand column; OCR space closed


def test_pipe_table_with_label_cell_and_label_colon():
    doc = make_doc("为加快推进铁路建设，市政府决定成立阳泉市铁路规划建设工作领导小组。\n\n"
                   "| 组 长：王明厚 | 副市长 |\n| 副组长 | 李四 | 市发展改革委主任 |\n")
    facts = extract_groups(doc)
    assert [(f.subject, f.person, f.post) for f in by_role(facts, "组长")] == [
        ("阳泉市铁路规划建设工作领导小组", "王明厚", "副市长")]
    assert by_role(facts, "副组长")[0].value == "李四（市发展改革委主任）"


def test_spaced_and_bracket_rows_and_office_members():
    doc = make_doc("编码规范与病案质控组\n\n组 长：尹 亮 市卫健委副主任\n\n第一组：\n\n组 长：黄海涛（市委常委、常务副市长）\n"
                   "联 络 员：张聚平 张 涛\n")
    facts = extract_groups(doc)
    leads = by_role(facts, "组长")
    assert [(f.subject, f.person, f.post) for f in leads] == [
        ("编码规范与病案质控组", "尹亮", "市卫健委副主任"), ("第一组", "黄海涛", "市委常委、常务副市长")]
    assert [f.person for f in by_role(facts, "联络员")] == ["张聚平", "张涛"]


def test_prose_forms():
    doc = make_doc("市领导小组组长由市政府副市长王明厚担任,副组长由市政府副秘书长闫立彪、市规划和自然资源局局长杜平华担任。"
                   "领导小组下设办公室，办公室设在市规划和自然资源局，办公室主任：尹宝珍（兼）。\n")
    facts = extract_groups(doc)
    assert [(f.person, f.post) for f in by_role(facts, "组长")] == [("王明厚", "市政府副市长")]
    assert [(f.person, f.post) for f in by_role(facts, "副组长")] == [
        ("闫立彪", "市政府副秘书长"), ("杜平华", "市规划和自然资源局局长")]
    office = by_role(facts, "办公室")[0]
    assert office.value == "市规划和自然资源局" and office.unit == "市规自局"
    assert by_role(facts, "办公室主任")[0].person == "尹宝珍"


def test_prose_body_set_up_in_the_sentence_owns_its_posts():
    doc = make_doc("（一）各县履行主体责任，成立政府主要负责人任组长的领导小组。\n\n"
                   "市人民政府成立由市长任组长,所有副市长任副组长,市教育局等31个相关部门负责人为成员的"
                   "市自建房安全专项整治工作领导小组,全面统筹协调。市领导小组办公室设在市住建局,负责推动相关工作落实。"
                   "市住建局牵头,成立工作专班,工作专班由市住建局分管副局长任主任。\n",
                   title="阳泉市人民政府办公室关于印发阳泉市城乡自建房安全专项整治工作方案的通知")
    facts = extract_groups(doc)
    head = by_role(facts, "组长")
    assert [(f.subject, f.value) for f in head] == [("市自建房安全专项整治工作领导小组", "市长")]
    assert quote(doc, head[0]) == "市长任组长"
    assert by_role(facts, "副组长")[0].value == "所有副市长"
    assert (by_role(facts, "办公室")[0].subject, by_role(facts, "办公室")[0].value) == (
        "市自建房安全专项整治工作领导小组", "市住建局")
    assert [(f.subject, f.value) for f in by_role(facts, "主任")] == [("工作专班", "市住建局分管副局长")]


def test_short_name_resolves_to_the_full_name():
    doc = make_doc("市级应急指挥机构为市交通事故应急指挥部（以下简称市指挥部）。\n\n2.1 市指挥部\n\n"
                   "指挥长：分管交通运输工作的副市长。\n\n市指挥部下设办公室。办公室设在市交通运输局。\n")
    facts = extract_groups(doc)
    assert {f.subject for f in facts} == {"市交通事故应急指挥部"}
    assert by_role(facts, "指挥长")[0].value == "分管交通运输工作的副市长"
    assert abbreviates("市防指", "市防汛抗旱指挥部") and not abbreviates("市防指", "市应急管理局")


def test_split_people_forms():
    assert split_people("雷健坤\t市长\t王 晓\t市大数据局副局长") == [
        ("雷健坤", "市长", True), ("王晓", "市大数据局副局长", True)]
    assert split_people("朱风雷（兼）、尹亮（兼）") == [("朱风雷", None, True), ("尹亮", None, False)]
    assert split_people("市应急管理局局长。") == [(None, "市应急管理局局长", True)]


def test_canonical_unit():
    assert canonical_unit("阳泉市住房和城乡建设局") == "市住建局"
    assert canonical_unit("市政府副市长") == "副市长"
    assert canonical_unit("市规划和自然资源局") == "市规自局"


# --- appointments -----------------------------------------------------------------------------

def test_appointments_and_removals():
    doc = make_doc("经阳泉市人民政府2021年2月1日常务会议决定，任命：\n\n程建军为阳泉市商务局副局长；\n\n"
                   "王永昌为阳泉市妇幼保健院（阳泉市妇幼\n\n保健计划生育服务中心）院长（主任）（试用期一年）；\n"
                   "免去：\n陈 锋的阳泉市审计局副局长职务（保留原职级待遇）；\n"
                   "因机构改革，杜俊德的阳泉市卫生监督所所长职务自行免去，不再办理免职手续。\n",
                   title="阳泉市人民政府关于程建军等任免职务的通知", number="阳政任字〔2021〕2号", date="2021-02-04")
    facts = extract_appointments(doc)
    rows = [(f.role, f.person, f.post) for f in facts]
    assert rows == [("任命", "程建军", "阳泉市商务局副局长"),
                    ("任命", "王永昌", "阳泉市妇幼保健院（阳泉市妇幼保健计划生育服务中心）院长（主任）"),
                    ("免去", "陈锋", "阳泉市审计局副局长"), ("免去", "杜俊德", "阳泉市卫生监督所所长")]
    assert "试用期一年" in facts[1].detail and "2021年2月1日常务会议" in facts[0].detail
    assert "保留原职级待遇" in facts[2].detail and "自行免去" in facts[3].detail
    assert quote(doc, facts[0]) == "程建军为阳泉市商务局副局长"
    assert all(f.date == "2021-02-04" for f in facts)


def test_appointments_only_in_personnel_notices():
    doc = make_doc("李四为阳泉市商务局副局长。\n", title="阳泉市人民政府办公室关于印发某方案的通知")
    assert extract_appointments(doc) == []


# --- document facts ---------------------------------------------------------------------------

def test_document_facts():
    doc = make_doc("（一）重点排查(2022年6月-9月中旬)。完成排查。\n第一阶段(2019.8—2019.10):夯实基础\n"
                   "本细则自 2021 年 7 月 13 日起施行，有效期 2 年。\n"
                   "2013年12月6日印发的《阳泉市地震应急预案》（阳政办发〔2013〕167号）同时废止。\n"
                   "各县（区）于2020年10月底前报送总结。\n")
    facts = extract_document_facts(doc)
    got = {(f.role, f.value) for f in facts}
    assert ("阶段", "2022年6月-9月中旬") in got and ("阶段", "2019.8—2019.10") in got
    assert ("施行", "自2021年7月13日起施行") in got and ("有效期", "有效期2年") in got  # verbatim clauses
    assert ("废止", "阳政办发〔2013〕167号") in got and ("期限", "2020年10月底") in got
    assert ("文号", "阳政办函〔2022〕1号") in got
    stage = next(f for f in facts if f.value == "2019.8—2019.10")
    assert stage.subject == "第一阶段：夯实基础"


def test_stages_are_found_by_english_name_and_by_position():
    doc = make_doc("（一）宣传部署阶段（2022年7月1日至2022年7月10日）。\n（二）治理提升阶段（2022年7月11日至2022年8月20日）。\n"
                   "（三）核查验收阶段（2022年11月1日至11月30日）\n")
    base = FactBase(extract_document_facts(doc))
    named = answer_from_facts(analyse("When is the checking and sign-off phase?"), base, [doc.doc_id])
    assert named.short_answer == "核查验收阶段：2022年11月1日至11月30日"
    last = answer_from_facts(analyse("When does the final phase of the campaign run?"), base, [doc.doc_id])
    assert last.short_answer == named.short_answer
    second = answer_from_facts(analyse("整治第二阶段是什么时候"), base, [doc.doc_id])
    assert second.short_answer.startswith("治理提升阶段")
    assert answer_from_facts(analyse("When is the phase of the campaign?"), base, [doc.doc_id]) is None
    # one glossary word (fix-up -> 治理) names one stage alone; a word two stages share names none
    fix = answer_from_facts(analyse("When did the main fix-up phase run?"), base, [doc.doc_id])
    assert fix.short_answer == "治理提升阶段：2022年7月11日至2022年8月20日"
    assert answer_from_facts(analyse("When did the inspection phase run?"), base, [doc.doc_id]) is None  # 检查/排查: no stage


# --- linking and answers ----------------------------------------------------------------------

def _base(*docs: Document) -> FactBase:
    return FactBase([f for d in docs for f in extract(d)])


def test_linking_finds_the_body_and_post():
    a = make_doc("成立阳泉市第七次全国人口普查领导小组（以下简称市领导小组）。\n\n组 长：\t黄海涛\t市委常委、副市长\n"
                 "副组长：\t王存才\t市政府副秘书长\n成 员：\t刘 鹏\t市委宣传部副部长\n办公室设在市统计局。\n", doc_id="a",
                 date="2020-03-01")
    b = make_doc("成立阳泉市治理非法超限超载工作领导小组。\n\n组 长：\t李文兵\t副市长\n", doc_id="b")
    base = _base(a, b)
    found = answer_from_facts(analyse("七普领导小组组长是谁"), base, ["b", "a"])
    assert found.short_answer == "黄海涛（市委常委、副市长）" and found.facts[0].doc_id == "a"
    assert answer_from_facts(analyse("Who chairs the leading group for the 8th national census?"), base, ["a"]) is None
    absent = answer_from_facts(analyse("七普领导小组联络员是谁"), base, ["a"])
    assert absent.kind == "absent"  # the members list is there, the post is not


def test_several_bodies_of_one_short_name_give_a_list():
    a = make_doc("成立阳泉市第七次全国人口普查领导小组（以下简称市领导小组）。办公室设在市统计局。\n", doc_id="a",
                 date="2020-03-01")
    b = make_doc("成立阳泉市自然资源卫片执法监督检查工作领导小组(以下简称“市领导小组”)。办公室设在市规划和自然资源局。\n",
                 doc_id="b", date="2021-05-01")
    found = answer_from_facts(analyse("市领导小组办公室设在哪里"), _base(a, b), ["a"])
    assert found.kind == "ambiguous"
    assert found.short_answer.splitlines() == [
        "阳泉市第七次全国人口普查领导小组（2020）办公室：市统计局",
        "阳泉市自然资源卫片执法监督检查工作领导小组（2021）办公室：市规划和自然资源局"]


def test_appointment_questions():
    doc = make_doc("李海民等二人任免职务的提请已经2021年2月19日阳泉市第十五届人民代表大会常务委员会第三十九次会议审议通过，"
                   "现通知如下：\n\n李海民为阳泉市民政局局长。\n\n免去：\n\n樊如珍的阳泉市民政局局长职务。\n",
                   title="阳泉市人民政府关于李海民等二人任免职务的通知", number="阳政任字〔2021〕5号", date="2021-02-25")
    base = _base(doc)
    found = answer_from_facts(analyse("2021年2月谁当上了市民政局局长"), base, [])
    assert found.short_answer.startswith("李海民：2021年2月25日（阳政任字〔2021〕5号）任命为阳泉市民政局局长")
    assert "樊如珍" in found.short_answer
    removed = answer_from_facts(analyse("樊如珍被免去什么职务"), base, [])
    assert removed.short_answer == "2021年2月25日（阳政任字〔2021〕5号）免去阳泉市民政局局长"
    successor = answer_from_facts(analyse("who replaced 樊如珍?"), base, [])
    assert successor.facts[0].person == "李海民"


def test_question_readers():
    assert asked_roles(analyse("推进中部城市群建设领导小组的组长、办公室主任分别是谁？")) == ["组长", "办公室主任"]
    assert asked_roles(analyse("DIP试点领导小组办公室设在哪")) == ["办公室"]
    assert asked_roles(analyse("DIP试点 office deputy directors是谁？")) == ["办公室副主任"]
    assert asked_roles(analyse("瓶装液化石油气整治领导小组由谁牵头？")) == ["组长"]
    assert asked_fields(analyse("幸福快车管理办法啥时候生效、管几年？")) == ["施行", "有效期"]
    assert short_years("高志龙22年升了什么职？") == (2022,)
    assert post_match("阳泉市民政局局长", "谁当上了市民政局局长") == 1.0
    assert post_match("阳泉市民政局副局长", "谁当上了市民政局局长") < 1.0


def test_factbase_search_and_kinds():
    doc = make_doc("成立阳泉市测试工作领导小组。办公室设在阳泉市住房和城乡建设局。\n")
    base = _base(doc)
    assert [f.role for f in base.search("市住建局", kind="group")] == ["办公室"]
    with pytest.raises(ValueError, match="unknown fact kind"):
        base.search("x", kind="people")
    assert Fact.from_dict(base.facts[0].to_dict()) == base.facts[0]


# --- through the Assistant (mini gazette, fake embedder) --------------------------------------

def test_record_answer_quotes_exactly_its_row(assistant):
    answer = assistant.ask("自建房安全专项整治工作领导小组组长是谁")
    assert answer.short_answer == "韩加政（市政府副市长）"
    assert answer.answer.startswith("韩加政（市政府副市长）[1]")
    cite = answer.citations[0]
    doc = assistant.document(cite.doc_id)
    assert cite.quote == doc.text(cite.start, cite.end) and cite.quote.startswith("组 长：")
    assert f"start={cite.start}&end={cite.end}" in cite.url
    follow = assistant.ask("副组长呢？", context="自建房安全专项整治工作领导小组组长是谁")
    assert follow.short_answer == "刘广利（市政府副秘书长）"


def test_qa_facts_cli(assistant, settings, monkeypatch):
    from qa.cli import main

    monkeypatch.setenv("QA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("QA_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QA_CHUNK_SIZE", "200")
    monkeypatch.setenv("QA_CHUNK_OVERLAP", "20")
    result = CliRunner().invoke(main, ["facts", "--kind", "appointment", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["person"], r["role"], r["value"]) for r in rows] == [("康健光", "任命", "阳泉市审计局副局长")]
    assert rows[0]["quote"] == "康健光为阳泉市审计局副局长" and rows[0]["doc_number"] == "阳政任字〔2022〕23号"
    text = CliRunner().invoke(main, ["facts", "韩加政"])
    assert text.exit_code == 0 and "组长：韩加政（市政府副市长）" in text.stdout
    bad = CliRunner().invoke(main, ["facts", "--kind", "people"])
    assert bad.exit_code == 2 and "people" in bad.output


def test_facts_are_stored_with_the_index_and_rebuilt_for_older_ones(settings, fake_embedder):
    from qa.facts import facts_version
    from qa.index import load_index, read_manifest
    from qa.ingest import ingest

    ingest(settings, embedder=fake_embedder, progress=False)
    manifest = read_manifest(settings.index_dir)
    assert manifest["facts"] == facts_version() and manifest["n_facts"] > 0
    stored = load_index(settings).facts
    assert len(stored) == manifest["n_facts"]
    (settings.index_dir / manifest["data"] / "facts.json").unlink()  # an index written before facts
    manifest.pop("checksums")  # (and before checksums: a file missing from a checksummed index is damage)
    (settings.index_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert load_index(settings).facts == stored  # extracted again from the documents when loaded
    before = fake_embedder.embedded
    again = ingest(settings, embedder=fake_embedder, progress=False)
    assert not again.written and fake_embedder.embedded == before  # nothing re-embedded


def test_fact_searcher_ranks_the_chunk_holding_the_asked_record(assistant):
    from qa.facts.search import FactSearcher

    searchers = {s.name: s for s, _ in assistant.retriever.searchers}
    assert isinstance(searchers.get("facts"), FactSearcher)
    ranking = searchers["facts"].search("铁路规划建设工作领导小组副组长是谁", None, 5)
    assert ranking.rows and "李四" in assistant.data.chunks[ranking.rows[0]].text
    assert searchers["facts"].search("铁路规划建设的意义", None, 5).rows == ()  # asks for no record


def test_english_appointment_question_names_the_unit_and_a_deputy_title():
    doc = make_doc("冯烈火等二人任职试用期满，经阳泉市人民政府2021年2月1日常务会议决定，同意正式任用，任命：\n\n"
                   "冯烈火为阳泉市强制隔离戒毒所副所长；\n张东所为阳泉市强制隔离戒毒所副所长。\n",
                   title="阳泉市人民政府关于冯烈火等二人正式任职的通知", number="阳政任字〔2021〕3号", date="2021-02-04")
    found = answer_from_facts(analyse("Who were confirmed as deputy directors of the 强制隔离戒毒所 in 2021?"),
                              _base(doc), [])
    assert [f.person for f in found.facts] == ["冯烈火", "张东所"]
    assert post_match("阳泉市强制隔离戒毒所副所长", "Who heads the 强制隔离戒毒所?") < 1.0  # not a deputy's post


def test_records_can_be_switched_off(settings, fake_embedder, assistant):
    from dataclasses import replace

    from qa.api import Assistant

    off = Assistant(replace(settings, facts=False, units_weight=0.0), assistant.data, fake_embedder)
    assert {s.name for s, _ in off.retriever.searchers} == {"dense", "bm25"}
    assert all(strategy.__name__ != "structured_facts" for strategy in off.reader.strategies)
    answer = off.ask("自建房安全专项整治工作领导小组组长是谁")  # the sentence reader still answers
    assert not answer.refused and "韩加政" in answer.answer

from pathlib import Path

import pytest

from qa.errors import ParseError
from qa.parse import parse_file, parse_text
from qa.sections import heading_level, iter_sections, parse_sections
from qa.text import find_doc_numbers, normalize_doc_number


def test_issue_header(mini_text):
    issue = parse_text(mini_text, "mini.txt").issue
    assert (issue.year, issue.number, issue.running_number, issue.published) == (2022, 4, 16, "2022-08-31")
    assert issue.label == "2022年第4期"


def test_toc_entries_multiline_table_and_tab(mini_text):
    toc = parse_text(mini_text, "mini.txt").toc
    assert [(e.doc_number, e.page, e.category) for e in toc] == [
        ("阳政发〔2022〕21号", 2, "政府文件"),
        ("阳政办发〔2022〕57号", 12, "市政府办公室文件"),
        ("阳政办函〔2022〕120号", 53, "市政府办公室文件"),
        ("阳政任字〔2022〕23号", 62, "人事任免"),
    ]
    assert toc[0].title == "阳泉市人民政府关于印发阳泉市全民健身实施计划(2021—2025年)的通知"


def test_every_toc_entry_maps_to_one_document(mini_text):
    parsed = parse_text(mini_text, "mini.txt")
    assert len(parsed.documents) == 4
    assert [d.page for d in parsed.documents] == [2, 12, 53, 62]
    assert len({d.doc_id for d in parsed.documents}) == 4
    # the TOC misspells 康健光 as 康建光: the body wins and the mismatch is recorded
    assert parsed.documents[3].title == "阳泉市人民政府关于康健光等二人任免职务的通知"
    assert any("康建光" in p and "body" in p for p in parsed.problems)


def test_document_fields(mini_text):
    docs = parse_text(mini_text, "mini.txt").documents
    first, second = docs[0], docs[1]
    assert first.doc_number == "阳政发〔2022〕21 号" and first.doc_number_norm == "阳政发〔2022〕21号"
    assert first.issuer == "阳泉市人民政府" and first.date == "2022-07-22"
    assert second.title == "阳泉市人民政府办公室关于印发阳泉市自建房安全专项整治实施方案的通知"
    assert second.issuer == "阳泉市人民政府办公室" and second.category == "市政府办公室文件"


def test_bodies_drop_toc_and_running_heads_keep_offsets(mini_text):
    docs = parse_text(mini_text, "mini.txt").documents
    for doc in docs:
        assert "目 录" not in doc.body and "....." not in doc.body
        assert len(doc.body) == doc.end - doc.start and doc.start < doc.body_start
    assert "阳泉市人民政府公报" not in docs[0].body  # running head inside the body is blanked
    assert docs[0].body.replace(" ", "") == mini_text[docs[0].start:docs[0].end].replace(
        "阳泉市人民政府公报", "").replace(" ", "")


def test_tables_and_attachments_stay_with_their_document(mini_text):
    docs = parse_text(mini_text, "mini.txt").documents
    assert "组 长：\t韩加政\t市政府副市长" in docs[1].body
    assert "附件：自建房排查整治信息表（略）" in docs[1].body
    assert "| 组长 | 张三 | 市政府副市长 |" in docs[2].body


def test_section_tree_offsets_point_at_headings(mini_text):
    doc = parse_text(mini_text, "mini.txt").documents[0]
    paths = {" > ".join(p): s for p, s in iter_sections(doc.sections)}
    assert "三、主要任务 > （一）加大全民健身场地设施供给 > 1. 建设全民健身中心 > （1）市级场馆" in paths
    for section in paths.values():
        assert mini_text[section.start:].startswith(section.title)
        assert doc.body_start <= section.start < section.end <= doc.end
    top = [s.title for s in doc.sections]
    assert top == ["一、指导思想", "二、发展目标", "三、主要任务"]


@pytest.mark.parametrize("line,level", [
    ("一、总体要求", 2), ("（二）组织领导", 6), ("(三)时间安排", 6), ("1. 排查范围", 8), ("2.安全鉴定", 8),
    ("（1）房屋基本情况", 10), ("第三章 认定标准", 0), ("第七条 企业满足", 4), ("2.3.1 综合组", 8),
    ("5.5.1.2 应急响应措施", 9), ("1 总则", 2), ("2020年底，完成", None), ("3月15日前", None), ("各县（区）人民政府", None),
])
def test_heading_levels(line, level):
    assert heading_level(line) == level


@pytest.mark.parametrize("raw", ["阳政发〔2020〕5 号", "阳政发〔2020〕5号", "阳政发[2020]5号", "阳政发［2020］ 5号",
                                 "阳政发(2020)05号", "阳政发 〔 2020 〕 5 号"])
def test_doc_number_normalization(raw):
    assert normalize_doc_number(raw) == "阳政发〔2020〕5号"


def test_find_doc_numbers_in_a_question():
    assert find_doc_numbers("阳政办发[2022]57号和阳政发〔2020〕5 号讲什么") == ["阳政办发〔2022〕57号", "阳政发〔2020〕5号"]
    assert normalize_doc_number("没有文号") is None


def test_reads_gbk_and_utf8_bom(tmp_path: Path, mini_text):
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(mini_text.encode("gb18030"))
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + mini_text.encode("utf-8"))
    assert len(parse_file(gbk).documents) == len(parse_file(bom).documents) == 4
    crlf = tmp_path / "crlf.txt"
    crlf.write_bytes(mini_text.replace("\n", "\r\n").encode("utf-8"))
    assert len(parse_file(crlf).documents) == 4


@pytest.mark.parametrize("content,reason", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (bytes(range(256)) * 4, "not UTF-8 or GB18030"),
    ("这是一篇普通的文章，没有公报的刊头。\n".encode("utf-8"), "not a gazette issue"),
    ("阳泉市人民政府公报\n2022 年第 4 期\n正文没有任何文号。\n".encode("utf-8"), "no document number"),
])
def test_bad_files_get_an_error_naming_file_and_reason(tmp_path: Path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    with pytest.raises(ParseError) as err:
        parse_file(path)
    assert "bad.txt" in str(err.value) and reason in str(err.value)


def test_missing_file_is_a_parse_error(tmp_path: Path):
    with pytest.raises(ParseError, match="cannot be read"):
        parse_file(tmp_path / "nope.txt")


def test_toc_doc_number_differing_from_body_is_recorded(mini_text):
    text = mini_text.replace("（阳政办函〔2022〕120号）.....", "（阳政办发〔2022〕120号）.....")
    parsed = parse_text(text, "mini.txt")
    doc = next(d for d in parsed.documents if "铁路" in d.title)
    assert doc.doc_number_norm == "阳政办函〔2022〕120号" and doc.page == 53  # matched by title; body wins
    assert any("TOC prints 文号 阳政办发〔2022〕120号" in p for p in parsed.problems)


def test_dotted_headings_nest_by_depth():
    body = "5.5 市级响应\n5.5.1 Ⅳ级响应\n5.5.1.1 启动\n文字\n5.5.1.2 应急响应措施\n(1) 会商机制\n文字\n5.5.2 Ⅲ级响应\n文字\n"
    paths = [" > ".join(path) for path, _ in iter_sections(parse_sections(body))]
    assert "5.5 市级响应 > 5.5.1 Ⅳ级响应 > 5.5.1.2 应急响应措施 > (1) 会商机制" in paths
    assert "5.5 市级响应 > 5.5.2 Ⅲ级响应" in paths

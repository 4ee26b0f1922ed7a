from qa.chunk import chunk_document
from qa.parse import parse_text


def _chunks(text, size=200, overlap=20):
    docs = parse_text(text, "mini.txt").documents
    return docs, [c for d in docs for c in chunk_document(d, size, overlap)]


def test_spans_map_back_to_exact_source_text(mini_text):
    docs, chunks = _chunks(mini_text)
    for c in chunks:
        assert mini_text[c.start:c.end] == c.text or "阳泉市人民政府公报" in mini_text[c.start:c.end]
        assert c.text == c.text.strip()


def test_chunks_never_cross_documents(mini_text):
    docs, chunks = _chunks(mini_text)
    by_id = {d.doc_id: d for d in docs}
    for c in chunks:
        doc = by_id[c.doc_id]
        assert doc.start <= c.start < c.end <= doc.end


def test_chunk_boundaries_follow_sections(mini_text):
    docs, chunks = _chunks(mini_text, size=60, overlap=0)
    plan = [c for c in chunks if c.doc_id == docs[0].doc_id]
    sections = [c.section for c in plan]
    assert "一、指导思想" in sections and "二、发展目标" in sections
    for c in plan:  # a chunk that holds a heading starts with it
        for heading in ("一、指导思想", "二、发展目标", "三、主要任务"):
            if heading in c.text:
                assert c.text.startswith(heading)


def test_header_in_indexed_text_not_in_quote(mini_text):
    docs, chunks = _chunks(mini_text)
    c = next(c for c in chunks if "韩加政" in c.text)
    assert "阳政办发〔2022〕57号" in c.indexed_text and "自建房安全专项整治" in c.header
    assert "2022年第4期" in c.header
    assert "阳政办发〔2022〕57号" not in c.text  # the header is not part of the quote
    first = next(c for c in chunks if c.doc_id == docs[1].doc_id)
    assert first.start == docs[1].start and "阳政办发〔2022〕57号" in first.text  # title block is quoted text


def test_member_list_stays_in_one_chunk_with_its_heading(mini_text):
    _, chunks = _chunks(mini_text, size=200)
    holder = [c for c in chunks if "韩加政" in c.text]
    assert len(holder) == 1 and "刘广利" in holder[0].text and "王建军" in holder[0].text


def test_long_table_split_repeats_heading_line(mini_text):
    _, chunks = _chunks(mini_text, size=40, overlap=0)
    pieces = [c for c in chunks if "刘广利" in c.text or "王建军" in c.text]
    assert pieces
    assert all("成立阳泉市自建房安全专项整治工作领导小组" in c.indexed_text for c in pieces)


def test_chunk_ids_are_stable(mini_text):
    _, a = _chunks(mini_text)
    _, b = _chunks(mini_text)
    assert [c.chunk_id for c in a] == [c.chunk_id for c in b]
    assert len({c.chunk_id for c in a}) == len(a)

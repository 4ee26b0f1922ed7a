"""The chat in headless Chromium over a real index (the session's three real issues): the answer first
and in view on a desktop and a phone, [n] links to the highlighted sentence, the conversation kept
across reloads, a question sent while another runs is answered after it, stop, copy as plain text,
feedback, "ask about this document", lang="zh-CN". Screenshots and the time to the first answer
text go to tests/artifacts/. Needs the Debian packages chromium and chromium-driver (`make browser`)."""

import json
import shutil
import tempfile
import threading
import time
from pathlib import Path

import pytest

from qa.api import Assistant
from qa.ui import build_app
from conftest import free_port

pytestmark = pytest.mark.slow

DRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent / "artifacts"
QUESTION = "自建房安全专项整治领导小组组长是谁"
SECOND = "阳政办发〔2022〕57号讲什么"
needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") and Path(DRIVER).exists()),
    reason="headless Chromium is not installed: run `make browser` (apt-get install chromium chromium-driver)")


class SlowAssistant(Assistant):
    """The real assistant; `delay` seconds before each answer lets a test act while one is running."""

    delay = 0.0

    def ask_stream(self, *args, **kwargs):
        time.sleep(self.delay)
        yield from super().ask_stream(*args, **kwargs)



@pytest.fixture(scope="module")
def live(real_settings):
    import uvicorn

    assistant = SlowAssistant.load(real_settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(assistant, real_settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", assistant
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def open_browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers = []

    def start(width: int = 1366, height: int = 900):
        options = webdriver.ChromeOptions()
        options.binary_location = shutil.which("chromium")
        profile = tempfile.mkdtemp()
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", f"--window-size={width},{height}", "--lang=zh-CN"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        driver.set_window_size(width, height)
        drivers.append((driver, profile))
        return driver

    yield start
    for driver, profile in drivers:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def _wait(driver, seconds: float = 60):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds, poll_frequency=0.02)


def _chat(driver, url: str):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    driver.get(url)
    return _wait(driver).until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))


def _answers(driver) -> int:
    from selenium.webdriver.common.by import By

    return len(driver.find_elements(By.CSS_SELECTOR, "#chat strong.short"))


def _ask(driver, question: str) -> float:
    """Type, send, wait for a new short answer; seconds from the click to the answer text on screen."""
    from selenium.webdriver.common.by import By

    before = _answers(driver)
    driver.find_element(By.CSS_SELECTOR, "#question textarea").send_keys(question)
    started = time.perf_counter()
    driver.find_element(By.CSS_SELECTOR, "#send").click()
    _wait(driver).until(lambda d: _answers(d) > before)
    return time.perf_counter() - started


def _in_view(driver, element) -> bool:
    box = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.top, r.bottom];", element)
    return 0 <= box[0] and box[1] <= driver.execute_script("return window.innerHeight")


@needs_chromium
@pytest.mark.parametrize("size", [(1366, 900), (390, 844)], ids=["desktop", "phone"])
def test_the_short_answer_comes_first_and_in_view(live, open_browser, size):
    from selenium.webdriver.common.by import By

    url, assistant = live
    driver = open_browser(*size)
    _chat(driver, url)
    assert driver.execute_script("return document.documentElement.lang") == "zh-CN"
    send = driver.find_element(By.CSS_SELECTOR, "#send")
    assert _in_view(driver, send) and _in_view(driver, driver.find_element(By.CSS_SELECTOR, "#question textarea"))
    assert driver.find_elements(By.CSS_SELECTOR, "#chat .example, #chat button.example") or "自建房" in \
        driver.find_element(By.CSS_SELECTOR, "#chat").text  # example chips on the empty chat
    timings = [_ask(driver, q) for q in (QUESTION, SECOND, QUESTION)]
    short = driver.find_elements(By.CSS_SELECTOR, "#chat strong.short")[-1]
    assert short.text == assistant.ask(QUESTION).short_answer
    time.sleep(0.3)  # the scroll after the answer
    assert _in_view(driver, short), "the newest short answer is not on screen"
    summary = driver.find_elements(By.CSS_SELECTOR, "#chat details.sources summary")[-1]
    assert "来源" in summary.text
    summary.click()  # the sources unfold: title · 文号 · 期号 · 页码 · 章节 and the quote
    source = driver.find_elements(By.CSS_SELECTOR, "#chat details.sources li")[-1]
    assert "阳政办发〔2022〕57号" in source.text and "第" in source.text
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"chat-{size[0]}x{size[1]}.png"))
    (ARTIFACTS / f"first-answer-{size[0]}x{size[1]}.json").write_text(json.dumps(
        {"seconds_to_first_answer_text": [round(t, 3) for t in timings], "median": sorted(timings)[1]}))


@needs_chromium
def test_citation_link_opens_the_highlighted_sentence_and_reload_keeps_the_chat(live, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec

    url, assistant = live
    driver = open_browser()
    _chat(driver, url)
    _ask(driver, QUESTION)
    link = driver.find_elements(By.CSS_SELECTOR, "#chat a.cite")[0]
    expected = {url + c.url: c.quote for c in assistant.ask(QUESTION).citations}
    href = link.get_attribute("href")
    assert href in expected and expected[href].strip() in link.get_attribute("title").replace("…", "")
    link.click()
    _wait(driver).until(lambda d: len(d.window_handles) > 1)
    driver.switch_to.window(driver.window_handles[-1])
    mark = _wait(driver).until(ec.presence_of_element_located((By.CSS_SELECTOR, "mark#cited")))
    assert mark.get_attribute("textContent") == expected[href]
    assert _in_view(driver, mark)
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "doc.png"))
    driver.find_element(By.CSS_SELECTOR, "#back").click()  # ← 返回问答: the same conversation
    _wait(driver).until(lambda d: _answers(d) == 1)
    assert QUESTION in driver.find_element(By.CSS_SELECTOR, "#chat").text
    driver.refresh()
    _wait(driver).until(lambda d: _answers(d) == 1)


@needs_chromium
def test_a_question_sent_while_one_runs_is_answered_next_and_stop_cancels(live, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    url, assistant = live
    driver = open_browser()
    box = _chat(driver, url)
    try:
        assistant.delay = 2.0
        box.send_keys(QUESTION)
        driver.find_element(By.CSS_SELECTOR, "#send").click()
        _wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stop").is_displayed())
        box.send_keys(SECOND + Keys.ENTER)  # while the first is running
        time.sleep(0.3)
        assert box.get_attribute("value") in (SECOND, ""), "the second question was erased"
        _wait(driver).until(lambda d: _answers(d) == 2)
        text = driver.find_element(By.CSS_SELECTOR, "#chat").text
        assert QUESTION in text and SECOND in text and box.get_attribute("value") == ""

        assistant.delay = 4.0
        box.send_keys("5G基站电费补贴标准是多少")
        driver.find_element(By.CSS_SELECTOR, "#send").click()
        stop = _wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "#stop"))
        _wait(driver).until(lambda d: stop.is_displayed())
        stop.click()
        _wait(driver, 3).until(lambda d: d.find_element(By.CSS_SELECTOR, "#send").is_displayed())
        assert "已停止" in driver.find_element(By.CSS_SELECTOR, "#chat").text
        time.sleep(assistant.delay + 1)
        assert _answers(driver) == 2, "a stopped answer appeared"
    finally:
        assistant.delay = 0.0


@needs_chromium
def test_copy_gives_plain_text_with_absolute_links_and_feedback_writes_a_line(live, open_browser, real_settings):
    from selenium.webdriver.common.by import By

    url, assistant = live
    driver = open_browser()
    driver.execute_cdp_cmd("Browser.grantPermissions", {"origin": url, "permissions": [
        "clipboardReadWrite", "clipboardSanitizedWrite"]})
    _chat(driver, url)
    _ask(driver, QUESTION)
    driver.find_element(By.CSS_SELECTOR, "#copy").click()
    time.sleep(0.3)
    copied = driver.execute_async_script("navigator.clipboard.readText().then(arguments[0], e => arguments[0]('ERR ' + e))")
    answer = assistant.ask(QUESTION)
    assert copied.startswith(answer.short_answer) and "来源：" in copied
    assert f"{url}/doc/{answer.citations[0].doc_id}" in copied and answer.citations[0].title in copied
    assert "\\[" not in copied and "&gt;" not in copied and "<" not in copied

    path = real_settings.feedback_path
    before = path.read_text(encoding="utf-8").count("\n") if path.exists() else 0
    driver.find_elements(By.CSS_SELECTOR, "#chat button[aria-label='Dislike']")[-1].click()
    _wait(driver, 10).until(lambda d: path.exists() and path.read_text(encoding="utf-8").count("\n") > before)
    last = json.loads(path.read_text(encoding="utf-8").splitlines()[-1])
    assert last["question"] == QUESTION and last["liked"] is False and last["answer"]["short_answer"]


@needs_chromium
def test_ask_about_one_document_from_its_page(live, open_browser):
    from selenium.webdriver.common.by import By

    url, assistant = live
    doc = next(d for d in assistant.documents() if d.doc_number == "阳政办发〔2022〕57号")
    driver = open_browser()
    driver.get(f"{url}/doc/{doc.doc_id}")
    driver.find_element(By.CSS_SELECTOR, "#ask-doc").click()
    _wait(driver).until(lambda d: doc.title in d.find_element(By.CSS_SELECTOR, "#doc-only").text)
    _ask(driver, "组长是谁")
    hrefs = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, "#chat a.cite")]
    assert hrefs and all(f"/doc/{doc.doc_id}?" in h for h in hrefs)


def test_gradio_api_answers_with_the_cli_contract(live):
    from gradio_client import Client

    url, _ = live
    result = Client(url, verbose=False).predict(QUESTION, "", "", api_name="/ask")
    assert set(result) >= {"question", "answer", "short_answer", "refused", "mode", "citations", "timings_ms"}
    assert result["short_answer"] == "市长" and result["citations"][0]["url"].startswith("/doc/")

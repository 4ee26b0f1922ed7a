"""End to end in headless Chromium: ask in the chat, follow a source link, see the quote highlighted.
Needs the Debian packages chromium and chromium-driver (`make browser` installs them)."""

import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest

from qa.ui import build_app

pytestmark = pytest.mark.slow

DRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).parent / "artifacts"
QUESTION = "自建房安全专项整治领导小组组长是谁"
needs_chromium = pytest.mark.skipif(
    not (shutil.which("chromium") and Path(DRIVER).exists()),
    reason="headless Chromium is not installed: run `make browser` (apt-get install chromium chromium-driver)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def live_url(assistant, settings):
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(assistant, settings), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "the app did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    with tempfile.TemporaryDirectory() as profile:
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={profile}", "--window-size=1280,1100", "--lang=zh-CN"):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(DRIVER), options=options)
        try:
            yield driver
        finally:
            driver.quit()


@needs_chromium
def test_chat_answer_links_to_highlighted_source(live_url, browser, assistant):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    ARTIFACTS.mkdir(exist_ok=True)
    wait = WebDriverWait(browser, 60)
    browser.get(live_url)
    box = wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "#question textarea")))
    box.send_keys(QUESTION)
    browser.find_element(By.CSS_SELECTOR, "#send").click()
    link = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#chat a[href*='/doc/']")))
    time.sleep(0.5)  # let the last streamed message settle
    assert "韩加政" in browser.find_element(By.CSS_SELECTOR, "#chat").text
    browser.save_screenshot(str(ARTIFACTS / "chat.png"))

    href = link.get_attribute("href")
    expected = {c.url: c.quote for c in assistant.ask(QUESTION).citations}
    path = href.removeprefix(live_url)
    assert path in expected, f"{path} is not one of the answer's citations {list(expected)}"
    link.click()
    if len(browser.window_handles) > 1:  # links in the chat open in a new tab
        browser.switch_to.window(browser.window_handles[-1])
    mark = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "mark#cited")))
    assert mark.get_attribute("textContent") == expected[path]
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", mark)
    assert 0 <= top < browser.execute_script("return window.innerHeight")  # scrolled into view
    browser.save_screenshot(str(ARTIFACTS / "doc.png"))


def test_gradio_api_answers_with_the_cli_contract(live_url):
    from gradio_client import Client

    result = Client(live_url, verbose=False).predict(QUESTION, "", "", api_name="/ask")
    assert set(result) >= {"question", "answer", "refused", "mode", "citations", "timings_ms"}
    assert "韩加政" in result["answer"] and result["citations"][0]["url"].startswith("/doc/")

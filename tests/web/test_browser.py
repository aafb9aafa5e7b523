"""The drawing page in a real browser: headless Chromium, driven by Selenium with W3C pointer actions.

The server runs as ``skdigits.web.server.serve`` in a child process (as ``skdigits
serve`` runs it), on a free loopback port. The test draws digits stroke by
stroke with pen pointer events, waits until the page shows the prediction
for the finished drawing, and checks:

- the label shown is the model's own prediction for the 28x28 image the
  server returned (computed here again with ``load_predictor``), and the
  bars show the same probabilities;
- the shown label is the digit drawn ("1" and "0"): the tiny model trained
  here reads these two shapes reliably; a shape it misreads would fail this
  check, which is what it is for;
- the page's screenshot is a PNG; the clear button empties the page.

It skips, saying why, when Selenium, Chromium or chromedriver is missing
(``.ci/install-browser`` installs the latter two). Set
``SKDIGITS_SCREENSHOT=path.png`` to keep the screenshot (the docs use one).
"""

import os
import re
import shutil
import subprocess
import sys
import time

import numpy as np
import pytest

selenium = pytest.importorskip("selenium", reason="selenium is not installed (pip install selenium)")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.common.actions import interaction  # noqa: E402
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402
from selenium.webdriver.common.actions.pointer_input import PointerInput  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
DRIVER = shutil.which("chromedriver") or next(
    (p for p in ("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver") if os.path.exists(p)), None)
pytestmark = pytest.mark.skipif(
    BROWSER is None or DRIVER is None,
    reason=f"needs Chromium and chromedriver (found browser={BROWSER}, driver={DRIVER}); run .ci/install-browser",
)


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    """A small pipeline trained on the 5,000 embedded MNIST digits for 3 epochs (seconds)."""
    from skdigits import make_digit_pipeline, save_model
    from skdigits.datasets.digit_recognizer import load_sample

    X, y = load_sample()
    model = make_digit_pipeline(filters=(8, 16), dense_units=32, epochs=3, random_state=0).fit(X, y)
    return save_model(model, tmp_path_factory.mktemp("model") / "small.skdigits")


@pytest.fixture(scope="module")
def page_url(model_path):
    """``serve`` in a child process on a free port (port 0; the port is read from its start-up line)."""
    code = "import sys; from skdigits.web.server import serve; serve(sys.argv[1], port=0)"
    child = subprocess.Popen([sys.executable, "-c", code, str(model_path)],
                             stderr=subprocess.PIPE, text=True)
    try:
        line = child.stderr.readline()
        found = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert found, f"serve did not start: {line!r}"
        yield found.group(0)
    finally:
        child.terminate()
        child.wait(10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    options = webdriver.ChromeOptions()
    options.binary_location = BROWSER
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run", "--window-size=900,600",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=DRIVER))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def draw(driver, strokes, kind=interaction.POINTER_PEN):
    """Draw ``strokes`` (lists of (x, y) in canvas pixels, 0..280) with a pen (or a finger), one stroke each."""
    pad = driver.find_element(By.ID, "pad")
    pointer = PointerInput(kind, kind)
    actions = ActionBuilder(driver, mouse=pointer, duration=15)
    for stroke in strokes:
        (x0, y0), rest = stroke[0], stroke[1:]
        actions.pointer_action.move_to(pad, int(x0 - 140), int(y0 - 140))  # offsets from the centre
        actions.pointer_action.pointer_down(pressure=0.6)
        for x, y in rest:
            actions.pointer_action.move_to(pad, int(x - 140), int(y - 140), pressure=0.6)
        actions.pointer_action.pointer_up()
    actions.perform()


def shown_result(driver):
    """Wait until the page shows the answer for the finished drawing; return it."""
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "const s = window.skdigitsState; return !s.drawing && !s.inFlight && "
        "document.body.dataset.shownVersion === document.body.dataset.version && s.result !== null;"))
    return driver.execute_script("return window.skdigitsState.result;")


def test_drawn_digits_are_predicted_and_shown(browser, page_url, model_path, tmp_path):
    from skdigits.images.files import as_model_input
    from skdigits.predictor import load_predictor

    model = load_predictor(model_path)
    browser.get(page_url)
    one = [[(140 + 3 * np.sin(t / 3), 45 + t * 19) for t in range(11)]]
    ellipse = [[(140 + 60 * np.cos(a), 140 + 95 * np.sin(a)) for a in np.linspace(0, 2 * np.pi, 25)]]
    for drawn, strokes, kind in (("1", one, interaction.POINTER_PEN), ("0", ellipse, interaction.POINTER_TOUCH)):
        browser.find_element(By.ID, "clear").click()
        draw(browser, strokes, kind)
        result = shown_result(browser)
        label = browser.find_element(By.ID, "label").text
        seen = np.array(result["image"], dtype=np.uint8).reshape(1, 28, 28)
        assert seen.max() > 200 and seen[0, 0, 0] == 0, "the page got a normalised white-on-black digit"
        assert label == str(model.predict(as_model_input(model, seen))[0]), "shown label = the model's own answer"
        proba = model.predict_proba(as_model_input(model, seen))[0]
        widths = browser.execute_script(
            "return [...document.querySelectorAll('#bars .fill')].map(e => parseFloat(e.style.width));")
        assert np.allclose(widths, 100 * proba, atol=0.15), "the bars show the model's probabilities"
        assert label == drawn, f"drew a {drawn}, the page shows {label} ({np.round(proba, 2)})"
    shot = tmp_path / "page.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from PIL import Image

    with Image.open(shot) as image:
        assert image.size[0] >= 600 and image.getextrema() != ((255, 255),) * len(image.getbands())
    if os.environ.get("SKDIGITS_SCREENSHOT"):
        shutil.copyfile(shot, os.environ["SKDIGITS_SCREENSHOT"])
    browser.find_element(By.ID, "clear").click()
    assert browser.find_element(By.ID, "label").text.strip() == ""
    assert browser.execute_script("return window.skdigitsState.result;") is None


def test_a_tap_with_no_stroke_shows_the_servers_message(browser, page_url):
    browser.get(page_url)
    start = time.monotonic()
    draw(browser, [[(5, 5)]])  # a dot in the corner: the server refuses it or predicts; the page must answer
    WebDriverWait(browser, 10).until(lambda d: d.execute_script(
        "return !window.skdigitsState.inFlight && "
        "document.body.dataset.shownVersion === document.body.dataset.version;"))
    status = browser.find_element(By.ID, "status").text
    label = browser.find_element(By.ID, "label").text.strip()
    assert bool(status) != bool(label), "either a message or a label, not both and not neither"
    assert time.monotonic() - start < 10

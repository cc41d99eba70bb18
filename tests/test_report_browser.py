"""The rendered report, opened from disk in headless Chromium, as a reader would.

The browser test is skipped where Chromium is missing, unless ``$GTZAN_REQUIRE_BROWSER`` is
set (``make test`` sets it where it may install Chromium): there a missing browser fails it.
"""

import os
import shutil

import pytest

from gtzan_helpers.app.notebooks import COURSE, GLOSSARY, NOTEBOOKS
from gtzan_helpers.app.pages import KEY_FIGURES, render_html
from gtzan_helpers.paths import NOTEBOOKS_DIR

pytestmark = pytest.mark.slow  # rendering the report and starting a browser take seconds

REQUIRE_BROWSER_ENV = "GTZAN_REQUIRE_BROWSER"

CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium (``make test`` installs it where it may); skipped without it, failed
    without it where ``$GTZAN_REQUIRE_BROWSER`` is set."""
    path = shutil.which("chromium")
    if path is None:
        missing = "Chromium is not installed (make test installs it where apt-get may run)"
        if os.environ.get(REQUIRE_BROWSER_ENV):
            pytest.fail(f"{missing}, and ${REQUIRE_BROWSER_ENV} requires the browser test to run")
        pytest.skip(missing)
    return path


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return render_html(out_dir=tmp_path_factory.mktemp("report")).parent


def test_every_page_loads_without_errors_and_every_image_loads(report, chromium, tmp_path):
    from playwright.sync_api import sync_playwright

    problems = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
        for name in ("index", *NOTEBOOKS, GLOSSARY):
            page.goto((report / f"{name}.html").as_uri(), wait_until="load")
            broken = page.evaluate("Array.from(document.images)"
                                   ".filter(i => !(i.complete && i.naturalWidth > 0)).length")
            assert broken == 0, f"{name}: {broken} image(s) did not load"
            assert page.title() not in ("", "Notebook"), f"{name}: its tab has no title of its own"
            if name == "index":
                # the two leakage ladders, the study's tables beside ours, the claims checked
                assert page.locator("#results table").count() == 4
                assert page.locator("#results").get_by_text("study MLP").count() >= 1
                assert page.locator("figure img").count() == len(KEY_FIGURES)
                page.screenshot(path=str(tmp_path / "index.png"), full_page=True)
            elif _has_figures(name):
                assert page.locator("img").count() >= 1, f"{name}: its figures are missing"
            if name in COURSE:  # its solutions folded away until asked for
                solutions = page.locator("details.solution")
                assert solutions.count() >= 2, f"{name}: {solutions.count()} folded solutions"
                assert not solutions.first.locator(".jp-OutputArea").first.is_visible()
                solutions.first.locator("summary").click()
                assert solutions.first.locator(".jp-Cell").first.is_visible()
        browser.close()
    assert not problems, problems
    assert (tmp_path / "index.png").stat().st_size > 10_000


def _has_figures(name: str) -> bool:
    """Whether the committed notebook holds a figure (08_claims, a table of verdicts, does not)."""
    import nbformat

    notebook = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    return any("image/png" in output.get("data", {})
               for cell in notebook.cells for output in cell.get("outputs", []))


def test_report_needs_no_network(report):
    for page in report.glob("*.html"):
        text = page.read_text()
        assert '<script src="http' not in text and 'src="https://' not in text, page.name

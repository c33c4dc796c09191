"""Shared fixtures: hand-built documents and a headless Debian Chromium driven by Playwright.

Browser tests never download a browser (``playwright install`` is not used anywhere): they run the
system Chromium and skip, saying so, only when it is not installed.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import pathlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

TESTS = pathlib.Path(__file__).resolve().parent
ARTIFACTS = TESTS.parent / "test-artifacts"

CHROMIUM_CANDIDATES = ("/usr/lib/chromium/chromium", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def load_documents_module() -> ModuleType:
    """``tests/fixtures/documents.py``, loaded by path so it works under any pytest import mode."""
    name = "gradviz_test_documents"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, TESTS / "fixtures" / "documents.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def documents() -> ModuleType:
    """Generators of hand-built documents (see ``tests/fixtures/documents.py``)."""
    return load_documents_module()


def chromium_executable() -> str | None:
    """Debian's Chromium binary (the real one, skipping the shell wrapper when it can), or None."""
    for candidate in CHROMIUM_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """A headless Chromium browser shared by the session's browser tests."""
    executable = chromium_executable()
    if executable is None:
        pytest.skip("Debian Chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@dataclasses.dataclass
class BrowserLog:
    """Everything a page did that a test may want to forbid: requests, console output, errors."""

    requests: list[str] = dataclasses.field(default_factory=list)
    failed_requests: list[str] = dataclasses.field(default_factory=list)
    console: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    page_errors: list[str] = dataclasses.field(default_factory=list)
    dialogs: list[str] = dataclasses.field(default_factory=list)

    def console_problems(self) -> list[str]:
        """Console errors and warnings, which include every request the CSP refused."""
        return [text for kind, text in self.console if kind in ("error", "warning")]


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


@pytest.fixture
def page(chromium: Any, browser_log: BrowserLog) -> Iterator[Any]:
    """A fresh page (own context, 1400x900) whose activity is recorded in ``browser_log``."""
    context = chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.on("request", lambda request: browser_log.requests.append(request.url))
    page.on(
        "requestfailed",
        lambda request: browser_log.failed_requests.append(f"{request.url}: {request.failure}"),
    )
    page.on("console", lambda message: browser_log.console.append((message.type, message.text)))
    page.on("pageerror", lambda error: browser_log.page_errors.append(str(error)))

    def on_dialog(dialog: Any) -> None:
        browser_log.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="session")
def artifacts_dir() -> pathlib.Path:
    """``test-artifacts/`` at the project root: screenshots CI keeps."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def pytest_addoption(parser: Any) -> None:
    parser.addoption(
        "--overwrite-snapshots",
        action="store_true",
        help="rewrite tests/snapshots/*.json from the current output instead of comparing to them",
    )

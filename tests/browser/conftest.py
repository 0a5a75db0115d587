"""The dashboard served on 127.0.0.1 and driven by Debian's Chromium through Playwright.

Each test gets its own app (SQLite, embedded queue, users of the roles it signs in as, no demo
data), so sign-in throttling counters never leak between tests. Without /usr/bin/chromium every test
is skipped.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from alerts.models import User
from app import create_app, migrate
from app.bootstrap import Services
from config.settings import Settings
from tests.conftest import make_settings
from tests.web import PASSWORD, add_user

if TYPE_CHECKING:  # only for annotations: without Playwright the tests skip instead of failing to import
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "artefacts" / "screenshots"

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Dashboard:
    url: str
    services: Services

    def at(self, path: str) -> str:
        return self.url + path

    def email(self, role: str) -> str:
        """The email of the user with this role (created on first use; password tests.web.PASSWORD)."""
        email = f"{role}@test.dalili.org"
        with self.services.uow() as uow:
            if uow.session.scalar(select(User.id).where(User.email == email)) is None:
                add_user(self.services, role, email)
        return email


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium); browser tests need it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def dashboard_settings(tmp_path: Path) -> Settings:
    """The served app's settings; a test module overrides this fixture for other ones (layers …)."""
    return make_settings(tmp_path)


@pytest.fixture
def dashboard(dashboard_settings: Settings, compiled_translations: None) -> Iterator[Dashboard]:
    app = create_app(dashboard_settings)
    services = app.extensions["dalili"]
    migrate.upgrade(services.engine)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="dashboard", daemon=True)
    thread.start()
    yield Dashboard(f"http://127.0.0.1:{server.server_port}", services)
    server.shutdown()
    thread.join()
    server.server_close()
    services.engine.dispose()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (no cookies) in English; CSP violations are collected as they happen."""
    context = browser.new_context(locale="en-US", viewport={"width": 1100, "height": 700})
    tab = context.new_page()
    tab.csp_violations = []
    tab.on(
        "console",
        lambda message: "Content Security Policy" in message.text and tab.csp_violations.append(message.text),
    )
    yield tab
    context.close()


@pytest.fixture
def screenshot(page: Page, request: pytest.FixtureRequest) -> Callable[[str], Path]:
    """Save the page as tests/artefacts/screenshots/<test>-<name>.png (git-ignored) for a human look."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name).strip("-")

    def take(name: str) -> Path:
        path = SCREENSHOTS / f"{test}-{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def sign_in(page: Page, dashboard: Dashboard, email: str, password: str = PASSWORD) -> None:
    """Fill and send the sign-in form as she would."""
    page.goto(dashboard.at("/login"))
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()

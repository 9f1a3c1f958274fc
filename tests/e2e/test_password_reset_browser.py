"""A forgotten password, end to end: a hub process with its delivery jobs mails the reset
link through a real SMTP server (aiosmtpd); a real browser (Chromium) asks for it on the
sign-in page, opens the link from the email, sets a new password and signs in with it; the
link does not work a second time."""

from __future__ import annotations

import re

import pytest
import requests

from tests.e2e.dashboard_hub import chromium
from tests.e2e.processes import free_port, running, wait_for
from tests.e2e.test_alert_delivery import clock, hub_env, inbox, set_up_hub
from tests.e2e.test_terminal_sync import VOXLOOP
from tests.support.mail import text_of

pytestmark = pytest.mark.e2e
__all__ = ["clock", "inbox"]  # fixtures of the alert specification, used here by name
NEW_PASSWORD = "my new and long password"


def test_a_forgotten_password_is_reset_through_the_emailed_link_in_a_browser(tmp_path, inbox, clock):
    port = free_port()
    env = hub_env(tmp_path, inbox, port, clock)
    set_up_hub(env, tmp_path, clock)
    base, log = f"http://127.0.0.1:{port}", tmp_path / "hub.log"
    with (
        running([*VOXLOOP, "hub", "serve", "--port", str(port), "--with-jobs"], cwd=tmp_path, env=env, log=log),
        chromium() as browser,
    ):
        wait_for(lambda: requests.get(base + "/healthz", timeout=2).ok, 60, "the hub", log)
        page = browser.new_page()
        page.goto(f"{base}/login")
        page.click("text=Forgot your password?")
        page.fill("#email", "manager0@example.org")
        page.click("button[type=submit]")
        assert "a link to set a new password is on its way" in page.inner_text("main")

        message = inbox.wait_for(1, timeout=30)[0]
        assert message["To"] == "manager0@example.org"
        link = re.search(r"http://\S+/password-reset/\S+", text_of(message))[0]

        page.goto(link)
        page.fill("#password", NEW_PASSWORD)
        page.fill("#repeat_password", NEW_PASSWORD)
        page.click("button[type=submit]")
        assert "Your new password is set" in page.inner_text("main")
        page.fill("#email", "manager0@example.org")
        page.fill("#password", NEW_PASSWORD)
        page.click("button[type=submit]")
        page.goto(f"{base}/account")
        assert "manager0@example.org" in page.inner_text("main")

        assert page.goto(link).status == 400  # used once, never again

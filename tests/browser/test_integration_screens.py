"""The organiser's API-token and webhook pages in Chromium, in Swedish and English, on a
desktop and a phone: a token made and shown once, a webhook to a real receiver with a test
event in its delivery log. Screenshots go to screenshots/integrations-* (and /tmp/shots-api
when that folder exists) for a person to look at."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.webhook_receiver import Receiver

from .conftest import DESKTOP, PHONE
from .test_organizer_screens import log_in, no_sideways_scroll

pytestmark = pytest.mark.browser
EXTRA = Path("/tmp/shots-api")


@pytest.mark.parametrize("language", ["sv", "en"])
@pytest.mark.parametrize("device", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_tokens_and_webhooks(live_server, browser, screenshot, device, language):
    receiver = Receiver()
    receiver.start()
    context = browser.new_context(locale="sv-SE" if language == "sv" else "en-GB", **device)
    context.set_default_timeout(10_000)
    page = context.new_page()
    name = f"{'phone' if device is PHONE else 'desktop'}-{language}"
    shots = []
    try:
        log_in(page, live_server.url)
        page.goto(f"{live_server.url}/language/{language}?next=/organizer/")
        page.get_by_role(
            "link", name="API och webhooks" if language == "sv" else "API and webhooks"
        ).first.click()
        page.fill("#name", "CRM")
        page.locator("input[value='registrations:read']").check()
        page.locator("main form:has(#name) button[type=submit]").click()
        token = page.locator("#new-token").input_value()
        assert token.startswith("sem_")
        no_sideways_scroll(page, device)
        shots.append(screenshot(page, f"integrations-tokens-{name}"))

        page.get_by_role("link", name="Webhooks", exact=True).click()
        page.fill("#url", receiver.url)
        page.fill("#description", "Medlemsregistret")
        page.locator("main form:has(#url) button[type=submit]").click()
        page.locator("main .actions button").first.click()  # send a test event
        assert len(receiver.received) == 1
        assert page.locator(".badge-ok").count() == 1
        page.locator("#secret-heading ~ details summary").click()
        no_sideways_scroll(page, device)
        shots.append(screenshot(page, f"integrations-webhook-{name}"))
        page.goto(page.url.rsplit("/", 1)[0])
        shots.append(screenshot(page, f"integrations-webhooks-{name}"))
    finally:
        context.close()
        receiver.stop()
    if EXTRA.is_dir():
        for shot in shots:
            shutil.copy(shot, EXTRA / shot.name)

"""The live site opens in a real browser, in Spanish, for a tablet with Spanish locale."""

import pytest
from django.urls import reverse

from .conftest import BROWSER_DB

pytestmark = [pytest.mark.browser, BROWSER_DB]


def test_login_page_opens_in_spanish(browser_page):
    response = browser_page.goto(reverse("login"))

    assert response is not None and response.ok
    assert "Retorno" in browser_page.title()
    assert browser_page.get_attribute("html", "lang") == "es"

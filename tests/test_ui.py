"""The web pages as the server renders them (the browser tests drive them: tests/test_browser_*)."""
from __future__ import annotations

import pytest

from service import create_app
from service.ui import PAGES

from conftest import DATA


@pytest.fixture
def client(tmp_path, mini_tagger):
    app = create_app(
        {"DATA": str(tmp_path / "var"), "MODELS": str(tmp_path / "models"), "LABELS": str(DATA / "seed-labels"), "TOKENS": "t"},
        tagger=mini_tagger,
    )
    return app.test_client()


@pytest.mark.parametrize("path", ["/", "/documents", "/documents/some-id", "/review", "/taxonomy", "/models"])
def test_every_page_renders_with_the_navigation_and_its_script(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "text/html"
    current = [line for line in response.get_data(as_text=True).splitlines() if 'aria-current="page"' in line]
    assert len(current) == 1  # the page's own entry in the navigation is marked
    html = response.get_data(as_text=True)
    assert '<html lang="ko">' in html and 'id="token-dialog"' in html
    assert html.count("<nav") == 1 and all(name in html for _, name, _ in PAGES)
    scripts = [part.split('"')[0] for part in html.split('<script type="module" src="')[1:]]
    assert scripts[:2] == ["/static/ktag.js", "/static/nav.js"] and len(scripts) >= 3  # the frame's, then the page's own
    for script in scripts:
        with client.get(script) as served:
            assert served.status_code == 200 and served.mimetype == "text/javascript"


def test_a_document_id_is_escaped_into_the_page(client):
    html = client.get('/documents/"><script>alert(1)</script>').get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html

"""The web pages: server-rendered templates whose scripts talk to the JSON API (``/v1``).

Pages carry no data of their own: each script reads through the API with the browser's token (if
any), so the pages see exactly what the API allows, and every write goes through the same
validation, ETags and history as any other client. Write actions ask for a token once per browser
session (kept in ``sessionStorage``).
"""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, render_template

bp = Blueprint("ui", __name__)

PAGES = [
    ("ui.tag_page", "태그 달기", "Tag"),
    ("ui.documents_page", "문서", "Documents"),
    ("ui.review_page", "검토 대기열", "Review"),
    ("ui.taxonomy_page", "분류 체계", "Taxonomy"),
    ("ui.models_page", "학습·모델", "Models"),
]


# (URL rule, endpoint, template); a rule's variables (the document id) reach the template.
ROUTES = [
    ("/", "tag_page", "tag.html"),
    ("/documents", "documents_page", "documents.html"),
    ("/documents/<doc_id>", "document_page", "document.html"),
    ("/review", "review_page", "review.html"),
    ("/taxonomy", "taxonomy_page", "taxonomy.html"),
    ("/models", "models_page", "models.html"),
]


def _view(template: str) -> Callable[..., str]:
    def view(**context: object) -> str:
        return render_template(template, pages=PAGES, **context)

    return view


for _rule, _endpoint, _template in ROUTES:
    bp.add_url_rule(_rule, _endpoint, _view(_template), methods=["GET"])


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The pages name their icon (``static/favicon.svg``); a browser that asks for the old default
    path anyway gets the same icon rather than a 404 in its console."""
    return current_app.send_static_file("favicon.svg")

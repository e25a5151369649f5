"""The page templates are compiled before a worker takes its first request."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

from common.settings import PROJECT_ROOT
from portal.templating import compile_pages


def test_every_page_is_compiled_at_start_and_mails_are_left_for_later(app: Flask) -> None:
    pages = {str(path.relative_to(PROJECT_ROOT / "templates"))
             for folder in ("passenger", "clerk", "reports")
             for path in Path(PROJECT_ROOT / "templates" / folder).glob("*.html")}
    app.jinja_env.cache.clear()  # type: ignore[union-attr]

    compiled = compile_pages(app)

    cached = {name for _loader, name in app.jinja_env.cache}  # type: ignore[union-attr]
    assert pages <= cached
    assert "base.html" in cached
    assert compiled == len(cached)
    assert not any(name.startswith(("mail/", "pdf/", "rq_dashboard/")) for name in cached)


def test_a_gunicorn_worker_compiles_the_pages_and_sets_the_loaded_app_aside_from_gc(
        app: Flask) -> None:
    settings = runpy.run_path(str(PROJECT_ROOT / "gunicorn.conf.py"))
    app.jinja_env.cache.clear()  # type: ignore[union-attr]
    try:
        settings["post_worker_init"](SimpleNamespace(wsgi=app))
        assert gc.get_freeze_count() > 10_000
        assert "passenger/claim.html" in {name for _l, name in app.jinja_env.cache}  # type: ignore[union-attr]
    finally:
        gc.unfreeze()
    assert settings["keepalive"] == 75

"""The app only wires blueprints, and every handler is a few lines: rules live in the domain."""
from __future__ import annotations

import inspect
from pathlib import Path

import app

MAX_HANDLER_LINES = 10


def _handlers():
    for path, methods in app.app.routes.items():
        for method, entry in methods.items():
            yield f"{method} {path}", entry.view_function
    for name, handler in app.app.handler_map.items():
        function = getattr(handler, "func", handler)  # an event source's wrapper, around a Lambda function's
        yield name, getattr(function, "_original_func", function)


def test_app_py_wires_blueprints_only():
    source = Path(app.__file__).read_text(encoding="utf-8")
    assert len(source.splitlines()) < 120
    assert "@app.route" not in source and "def " not in source


def test_no_handler_is_over_ten_lines():
    too_long = {}
    for name, function in _handlers():
        function = inspect.unwrap(function)
        lines, _ = inspect.getsourcelines(function)
        body = [line for line in lines if not line.lstrip().startswith("@")]
        if len(body) > MAX_HANDLER_LINES:
            too_long[name] = len(body)
    assert too_long == {}

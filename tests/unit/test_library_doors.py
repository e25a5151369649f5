"""Libraries are used through their documented doors: no module of the product imports a
library's private name (`from flask_babel import _get_current_context`) or assigns to an
attribute of a library's module or class (`flask_wtf.csrf.URLSafeTimedSerializer = ...`).
A library upgrade must not break us silently."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("claims", "portal", "workflows", "common", "tools")
# Modules still opening a library by a back door (none: keep it so).
KNOWN: set[str] = set()


def _library(module: str) -> bool:
    return module.split(".")[0] not in PRODUCT


def _module_or_class(module: str, name: str) -> bool:
    """A library's module (`from flask_wtf import csrf`) or class (by its capital);
    not an object it hands out (`request.max_content_length` is Flask's own door)."""
    if name[:1].isupper():
        return True
    try:
        return importlib.util.find_spec(f"{module}.{name}") is not None
    except ModuleNotFoundError:
        return False


def doors_broken(source: str) -> list[str]:
    tree = ast.parse(source)
    libraries: set[str] = set()  # names bound to a library's module or its members
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            libraries.update((alias.asname or alias.name).split(".")[0]
                             for alias in node.names if _library(alias.name))
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and _library(node.module):
            for alias in node.names:
                if _module_or_class(node.module, alias.name):
                    libraries.add(alias.asname or alias.name)
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"line {node.lineno}: private {node.module}.{alias.name}")
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AugAssign | ast.AnnAssign) else [])
        for target in targets:
            root = target
            while isinstance(root, ast.Attribute):
                root = root.value
            if target is not root and isinstance(root, ast.Name) and root.id in libraries:
                found.append(f"line {node.lineno}: assigns {ast.unparse(target)}")
    return found


def test_no_module_opens_a_library_by_a_back_door() -> None:
    broken = {str(path.relative_to(ROOT)): found
              for package in PRODUCT for path in sorted((ROOT / package).rglob("*.py"))
              if (found := doors_broken(path.read_text(encoding="utf-8")))}
    assert set(broken) == KNOWN, broken


def test_the_check_finds_each_back_door() -> None:
    source = """
import wtforms.widgets.core
from flask_babel import _get_current_context
from flask_wtf import csrf
from claims.core import _private_is_ours
wtforms.widgets.core.html_params = str
csrf.URLSafeTimedSerializer = object
ours = object()
ours.attribute = 1
"""
    assert [line.split(":")[0] for line in doors_broken(source)] == [
        "line 3", "line 6", "line 7"]

"""What PostgreSQL and SQLite do differently has one home, claims/db/dialect/: no other
module of the product names a dialect (a name, a URL scheme, a dialect's own SQLAlchemy
module or driver). A use case asks the capability it needs (dialect.copies_rows,
dialect.insert_on_conflict, ...), so a difference is found, read and changed in one place."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("claims", "portal", "workflows", "common", "tools")
HOME = ROOT / "claims" / "db" / "dialect"
# DATABASE_URL is read in the settings, the leaf every layer imports: its schemes are
# configuration (which database, which driver), not a difference in what the code does.
CONFIGURATION = {ROOT / "common" / "settings.py"}

DIALECT_NAME = re.compile(r"^(postgres(ql)?|sqlite|psycopg2?|pysqlite)([+:].*)?$")
DIALECT_MODULES = ("sqlalchemy.dialects", "psycopg", "psycopg2", "sqlite3")


def _product_modules() -> list[Path]:
    return sorted(path for package in PRODUCT for path in (ROOT / package).rglob("*.py")
                  if HOME not in path.parents and path not in CONFIGURATION)


def names_of_dialects(source: str) -> list[str]:
    """Where a module names a dialect: string constants that are a dialect's name or a
    URL of one, and imports of a dialect's module or driver."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                and DIALECT_NAME.match(node.value.strip()):
            found.append(f"line {node.lineno}: {node.value!r}")
        elif isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith(DIALECT_MODULES):
            found.append(f"line {node.lineno}: from {node.module} import ...")
        elif isinstance(node, ast.Import):
            found.extend(f"line {node.lineno}: import {alias.name}" for alias in node.names
                         if alias.name.startswith(DIALECT_MODULES))
    return found


def test_no_module_outside_the_dialect_home_names_a_dialect() -> None:
    named = {str(path.relative_to(ROOT)): found for path in _product_modules()
             if (found := names_of_dialects(path.read_text(encoding="utf-8")))}
    assert not named, ("a dialect named outside claims/db/dialect/: give the difference "
                       f"a capability there and call it: {named}")


def test_the_check_finds_each_way_of_naming_a_dialect() -> None:
    source = '''
from sqlalchemy.dialects import postgresql
import psycopg
if engine.dialect.name == "sqlite":
    url = "postgresql+psycopg://db/x"
"""A docstring that says PostgreSQL and sqlite in passing is prose."""
'''
    assert [line.split(":")[0] for line in names_of_dialects(source)] == [
        "line 2", "line 3", "line 4", "line 5"]

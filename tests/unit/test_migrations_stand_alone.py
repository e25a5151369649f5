"""A migration runs as it was written: it imports no domain code (names, journeys, money
times), whose later changes would change what an old migration does. It may use the
storage format it writes in: the column types and the key ring's encryption."""

from __future__ import annotations

import ast
from pathlib import Path

VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"
STORAGE_FORMAT = ("claims.db.types", "claims.db.crypto", "claims.db.key_rotation")


def _product_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        modules = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                   else [alias.name for alias in node.names] if isinstance(node, ast.Import)
                   else [])
        found.extend(module for module in modules
                     if module.split(".")[0] in ("claims", "portal", "workflows", "common")
                     and module not in STORAGE_FORMAT)
    return found


def test_no_migration_imports_domain_code() -> None:
    imports = {path.name: found for path in sorted(VERSIONS.glob("*.py"))
               if (found := _product_imports(path))}
    assert not imports, f"copy what the migration needs into it instead: {imports}"

"""Every write path of the package goes through the write rule (onemap/security/write_access.py).

A new caller of the importer must say who writes (``writer=``: the signed-in account, or None for the
console); a new caller of ``Store.commit`` outside the importer and the 定密/解密 decision is a write path
that skips the rule. Read from the source, so that a path added later cannot be forgotten.
"""

from __future__ import annotations

import ast
from pathlib import Path

import onemap

PACKAGE = Path(onemap.__file__).parent
COMMITTERS = {"ingest/importer.py", "security/classification.py"}  # both call the write rule first


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                called = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if called == name:
                    found.append((path.relative_to(PACKAGE).as_posix(), node))
    return found


def test_every_import_says_who_writes() -> None:
    calls = _calls("import_path")
    assert calls, "the importer is called somewhere"
    missing = [f"{where}:{call.lineno}" for where, call in calls if "writer" not in {k.arg for k in call.keywords}]
    assert not missing, f"import_path without writer= (the write rule would treat it as the console): {missing}"


def test_only_the_importer_and_the_level_decision_commit_layers() -> None:
    committing = {where for where, call in _calls("commit") if call.args or call.keywords}
    assert committing <= COMMITTERS, committing - COMMITTERS

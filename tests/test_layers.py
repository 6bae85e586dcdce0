"""The apps form layers (pyproject.toml, [tool.importlinter]): checked here as CI checks them.

``dev.py lint`` runs ``lint-imports``; these tests show that it passes on the tree as it is,
that it fails on an import that climbs a layer, and that no import hides inside a function
to get past it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES = CONFIG["root_packages"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own tool on our own tree
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_the_layers_are_written_down_once_without_exceptions():
    (contract,) = CONFIG["contracts"]

    assert contract["type"] == "layers"
    assert contract["layers"] == ["config", "portal", "disputes", "orders", "marketplace", "credit", "core"]
    assert "ignore_imports" not in contract
    assert sorted(PACKAGES) == sorted(contract["layers"])


def test_the_tree_keeps_its_layers():
    result = _lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_that_climbs_a_layer_fails_the_lint(tmp_path):
    # Given a copy of the project where credit (low) imports disputes (high)
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    services = tmp_path / "credit" / "services.py"
    services.write_text(services.read_text() + "\nfrom disputes.models import SupportCase  # noqa\n")

    # When the lint runs on it
    result = _lint_imports(tmp_path)

    # Then it fails and names the import
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert "credit.services -> disputes.models" in result.stdout


def _function_local_imports(source: str, *, own: str) -> list[tuple[int, str]]:
    """Imports inside a function body of package ``own`` that reach another of the project's packages."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for inner in ast.walk(node):
            if isinstance(inner, ast.Import):
                modules = [alias.name for alias in inner.names]
            elif isinstance(inner, ast.ImportFrom) and inner.level == 0:
                modules = [inner.module or ""]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top in PACKAGES and top != own:
                    found.append((inner.lineno, module))
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_no_import_of_another_app_hides_inside_a_function(package):
    hidden = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
        for line, module in _function_local_imports(path.read_text(), own=package)
    ]

    assert hidden == []


def test_the_check_for_hidden_imports_finds_one():
    # Given a module of credit with an import of orders inside a function, and one of its own
    source = "def score():\n    from orders.models import Order\n    from credit.models import CreditEvent\n"

    # Then the check reports the other app's only
    assert _function_local_imports(source, own="credit") == [(2, "orders.models")]

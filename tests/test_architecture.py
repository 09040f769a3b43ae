"""One direction through the house (issue 21): the import-linter contracts in pyproject.toml are kept (each layer
imports only those below it: kernel → regions → contacts → billing → disputes → start page → config; no import loop
among the modules of a package), an upward import breaks them, and the stack names every package of the house (a new
package left out of it would go unchecked)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("kernel", "regions", "contacts", "billing", "disputes", "review", "start", "config")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_import_contracts_are_kept():
    result = _lint(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 2 kept, 0 broken." in result.stdout


def test_an_upward_import_breaks_the_stack(tmp_path):
    # Given a copy of the code in which the kernel imports billing (and regions the disputes)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    with (tmp_path / "kernel" / "money.py").open("a") as money:
        money.write("\nfrom billing.models import Invoice  # noqa: E402, F401\n")
    with (tmp_path / "regions" / "selectors.py").open("a") as selectors:
        selectors.write("\nfrom disputes.models import Dispute  # noqa: E402, F401\n")

    # When the contracts are checked
    result = _lint(tmp_path)

    # Then the stack is broken, naming each upward import
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 1 kept, 1 broken." in result.stdout
    assert "kernel is not allowed to import billing:" in result.stdout
    assert "- kernel.money -> billing.models" in result.stdout
    assert "regions is not allowed to import disputes:" in result.stdout
    assert "- regions.selectors -> disputes.models" in result.stdout


def test_the_stack_names_every_package_of_the_house():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = [layer.strip() for layer in config["contracts"][0]["layers"]]
    packages = {
        path.name
        for path in ROOT.iterdir()
        if path.is_dir() and (path / "__init__.py").exists() and path.name not in {"tests", "bench"}
    }

    assert layers == ["config", "start", "review", "disputes", "billing", "contacts", "regions", "kernel"]
    assert set(layers) == set(PACKAGES) == set(config["root_packages"]) == packages
    assert set(config["contracts"][1]["ancestors"]) == set(PACKAGES)

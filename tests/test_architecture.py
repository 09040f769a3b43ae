"""One direction through the house (issue 21): the import-linter contracts in pyproject.toml are kept (each layer
imports only those below it: kernel → regions → contacts → billing → disputes → start page → config; no import loop
among the modules of a package), an upward import breaks them, and the contacts layer names every module of contacts
but the disputes (a new module left out of it would go unchecked)."""

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("kernel", "regions", "contacts", "billing", "start", "config")


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
        selectors.write("\nfrom contacts.disputes.models import Dispute  # noqa: E402, F401\n")

    # When the contracts are checked
    result = _lint(tmp_path)

    # Then the stack is broken, naming each upward import
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Contracts: 1 kept, 1 broken." in result.stdout
    assert "kernel is not allowed to import billing:" in result.stdout
    assert "- kernel.money -> billing.models" in result.stdout
    assert "regions is not allowed to import contacts.disputes:" in result.stdout
    assert "- regions.selectors -> contacts.disputes.models" in result.stdout


def test_the_contacts_layer_names_every_module_of_contacts_but_the_disputes():
    contract = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"][0]
    layers = [layer.strip() for layer in contract["layers"]]
    contacts_layer = next(layer for layer in layers if layer.startswith("contacts.") and ":" in layer)
    listed = {name.strip() for name in contacts_layer.split(":")}
    children = {
        f"contacts.{path.stem}"
        for path in (ROOT / "contacts").iterdir()
        if (path.suffix == ".py" and path.stem != "__init__") or (path.is_dir() and (path / "__init__.py").exists())
    }

    assert listed == children - {"contacts.disputes"}
    assert layers.index("contacts.disputes") < layers.index("billing") < layers.index(contacts_layer)

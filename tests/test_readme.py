"""The README shows what exists and its commands work as written: every picture it links is in the repository,
and the documented commands run on a fresh set-up."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_screenshot_the_readme_shows_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = sorted(set(re.findall(r'src="(docs/screenshots/[^"]+\.png)"', readme)))

    assert len(pictures) == 12
    assert [p for p in pictures if not (ROOT / p).is_file()] == []


def _documented_commands(name: str) -> list[str]:
    """The lines of the README's shell blocks that run ``manage.py <name>``, as written."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sh\n(.*?)```", readme, flags=re.DOTALL)
    return [line for block in blocks for line in block.splitlines() if f"manage.py {name} " in line]


def test_the_documented_create_api_client_commands_work_as_written_and_answer_in_swedish(tmp_path):
    """After `make run`'s set-up (migrate, reference and demo data) on the embedded default, each documented line
    runs in a shell exactly as the README writes it: no SECRET_KEY or other setting beyond what the line says."""
    commands = _documented_commands("create_api_client")
    env = {
        "PATH": f"{ROOT / '.venv' / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    python = sys.executable
    for step in (["migrate", "--no-input"], ["seed_reference_data"], ["seed_demo", "--password", "x-readme-2026"]):
        subprocess.run(
            [python, "manage.py", *step], cwd=ROOT, env={**env, "DEBUG": "1"}, check=True, capture_output=True
        )

    answers = [
        subprocess.run(["bash", "-c", line], cwd=ROOT, env=env, capture_output=True, text=True) for line in commands
    ]

    assert len(commands) == 2
    assert [(answer.returncode, answer.stderr) for answer in answers] == [(0, ""), (0, "")]
    outputs = [answer.stdout.splitlines() for answer in answers]
    assert [lines[:2] for lines in outputs] == [
        [
            "API-klienten 'kry-journal' har skapats med rollen vårdgivarsystem för "
            "Digitalläkaren AB (SE5561234005-DL01).",
            "Skicka nyckeln som 'Authorization: Token <nyckel>'. Den visas bara den här gången:",
        ],
        [
            "API-klienten 'finance-04' har skapats med rollen handläggare för Region Sörmland (04).",
            "Skicka nyckeln som 'Authorization: Token <nyckel>'. Den visas bara den här gången:",
        ],
    ]
    assert [(len(lines), len(lines[-1]), lines[-1].isalnum()) for lines in outputs] == [(3, 40, True), (3, 40, True)]

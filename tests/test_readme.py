"""The README shows what exists: every picture it links is in the repository."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_screenshot_the_readme_shows_exists():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pictures = sorted(set(re.findall(r'src="(docs/screenshots/[^"]+\.png)"', readme)))

    assert len(pictures) == 12
    assert [p for p in pictures if not (ROOT / p).is_file()] == []

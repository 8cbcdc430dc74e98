"""One source for every limit: forms take their maxlength and ranges from the domain."""

from __future__ import annotations

import re
from pathlib import Path

from board.service import LIMITS
from board.settings import TEMPLATES_DIR
from board.workshops import MAX_TITLE_LENGTH

LITERAL_LIMIT = re.compile(r'\b(maxlength|max)="\d+"')
# The join field takes a code as people type it (spaces, dashes), not a domain value.
ALLOWED = {("join.html", 'maxlength="20"')}


def test_no_template_types_a_limit_again() -> None:
    found = {
        (path.relative_to(TEMPLATES_DIR).as_posix(), match.group())
        for path in Path(TEMPLATES_DIR).rglob("*.html")
        for match in LITERAL_LIMIT.finditer(path.read_text())
    }
    assert found <= ALLOWED, found - ALLOWED


async def test_the_start_page_limits_the_title_as_the_domain_does(client) -> None:
    page = (await client.get("/")).text
    assert f'maxlength="{MAX_TITLE_LENGTH}"' in page
    assert LIMITS["title"] == MAX_TITLE_LENGTH

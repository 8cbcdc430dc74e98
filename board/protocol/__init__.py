"""The session protocol: the complete record of a workshop, and the documents made from it.

``export_record`` reads a workshop into the versioned JSON record
(``"format": "moderation-board/1"``, schema in ``schema/``); every other
format — HTML, PDF, Markdown, CSV — is rendered from that record, so what
is imported elsewhere renders the same. ``prepare`` checks a record (off the
writer thread): its shape against the published JSON schema, its references
(``restore``) and every value (``check``, with the rules and limits live input
keeps — the domain's own functions). ``store`` then makes it a new workshop in
one transaction: nothing is half-imported.

- :mod:`board.protocol.record`: the format, its ids, times and limits
- :mod:`board.protocol.export`: a workshop → a record
- :mod:`board.protocol.shape`: at the door: format, size, the schema's shape
- :mod:`board.protocol.restore`: a record → domain objects (shape, references)
- :mod:`board.protocol.validate`: the values, by the rules of live input
- :mod:`board.protocol.store`: a checked record → a new workshop

Participants appear under pseudonyms (p1, p2, …). Nicknames are left out
unless the trainer asks for them (``names=True``).
"""

from board.protocol.export import export_record
from board.protocol.record import (
    FORMAT,
    ID,
    MAX_RECORDS,
    SECTIONS,
    ProtocolError,
    iso,
)
from board.protocol.restore import Restored, restore, snapshots
from board.protocol.store import prepare, store, store_problem
from board.protocol.validate import check

__all__ = [
    "FORMAT",
    "ID",
    "MAX_RECORDS",
    "SECTIONS",
    "ProtocolError",
    "Restored",
    "check",
    "export_record",
    "iso",
    "prepare",
    "restore",
    "snapshots",
    "store",
    "store_problem",
]

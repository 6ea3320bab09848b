"""Every size and count limit a request is held to, in one place.

The modules that enforce a limit import it from here, so the whole set can be read (and
tuned) together. Cost budgets internal to an algorithm (rendering, diffing, anchoring) stay
beside the algorithm they bound.
"""

from __future__ import annotations

# Ids and numbers are INTEGER columns on both databases; anything larger names nothing and
# would overflow the database driver.
MAX_ID = 2**31 - 1

MAX_HEADING_CHARS = 300  # one section heading
MAX_BODY_CHARS = 200_000  # one section's Markdown
MAX_COMMENT_CHARS = 20_000  # one comment, reply or suggested text
MAX_PASSWORD_LENGTH = 200  # a password (the shortest allowed is auth.MIN_PASSWORD_LENGTH)

# A draft of a remissvar has a handful of sections; this bounds every page and export of it.
MAX_SECTIONS_PER_DRAFT = 150

# One Word import: checked in a streaming pass before the document is parsed, so parsing
# and rendering it stay within a few seconds (5 000 paragraphs parse in about 0.2 s).
MAX_IMPORT_PARAGRAPHS = 5_000  # paragraphs, table cells' included
MAX_IMPORT_CHARS = 500_000  # characters of text
# A Word file larger than this is parsed by a job, not in the request; the page waits for it.
IMPORT_IN_JOB_BYTES = 256 * 1024

# A comment's anchor: the quoted passage, and the text just before and after it that finds
# the passage again after edits (columns Comment.anchor_prefix/anchor_suffix).
MAX_QUOTE_CHARS = 20_000
MAX_ANCHOR_CONTEXT_CHARS = 200

# One sign-off (columns SignOff.signatory_name/title, minutes_paragraph; the page's form).
MAX_SIGNATORY_CHARS = 160
MAX_MINUTES_CHARS = 100

# One page of an API list.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# One meeting calendar import (an iCalendar file from a municipality's meeting system).
MAX_CALENDAR_BYTES = 1_000_000
MAX_CALENDAR_EVENTS = 2_000
# A meeting's document deadline: papers are due this many days before it, at most.
MAX_DOCUMENT_DEADLINE_DAYS = 90
# The decision basis: the municipality's own diarienummer and its local considerations.
MAX_LOCAL_REFERENCE_CHARS = 80
MAX_LOCAL_CONSIDERATIONS_CHARS = 20_000
# The overview's list of responses and its search box.
OVERVIEW_PAGE_SIZE = 25
MAX_SEARCH_CHARS = 200
MAX_LIST_PAGE = 10_000

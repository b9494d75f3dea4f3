"""Values from a matrix, a stack file, a policy path or the live account, made safe for the
places people read them: GitHub markdown (the PR comment, ``audit --format markdown``),
a terminal or a CI log, and a shell command in a remediation hint.

Any of those values may be written by an attacker with push rights to a branch (a cell, a
file name) or by whoever controls the account (a trail name). They must never hide or
restyle another part of a report, mention someone, or inject a workflow command
(``::error``) or a terminal escape. Every renderer goes through these functions.
"""

from __future__ import annotations

import html
import re
import shlex
import unicodedata

# Characters that make text move, vanish or act: control characters (newlines, ESC),
# format characters (bidi overrides, zero-width joiners), line and paragraph separators.
_INVISIBLE = {"Cc", "Cf", "Zl", "Zp"}
# The ASCII punctuation that can open or close an inline construct of GitHub markdown
# (emphasis, code, links, images, raw HTML, entities, tables, strikethrough, math) or a
# block. CommonMark renders a backslash before any of them as the character itself.
# Characters that only mean something at the start of a line (# - + = digits) are left
# alone: ``md_text`` is for inline text, never the start of a line. So names stay readable.
_SPECIAL = re.compile(r"([\\`*_{}\[\]<>!|~&$^@])")
_MENTION = re.compile(r"(?<![A-Za-z0-9_`])@(?=[A-Za-z0-9])")
_WORD_JOINER = "\u2060"


def printable(value: object) -> str:
    """``value`` on one line with every invisible or control character shown as its escape
    (``\\n``, ``\\x1b``, ``\\u202e``): safe for a terminal and a CI log line."""
    text = str(value)
    if not any(unicodedata.category(ch) in _INVISIBLE for ch in text):
        return text
    return "".join(_visible(ch) for ch in text)


def _visible(ch: str) -> str:
    if unicodedata.category(ch) not in _INVISIBLE:
        return ch
    return {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch) or (
        f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}"
    )


def log_line(value: object) -> str:
    """One line for a CI log: printable, and never read by the runner as a workflow command
    (GitHub Actions treats a line whose first non-blank characters are ``::`` as one)."""
    line = printable(value)
    return "  " + line.replace("::", ":\u200b:", 1) if line.lstrip().startswith("::") else line


def md_text(value: object) -> str:
    """Inline markdown text showing ``value`` literally: every character that could start
    markup is backslash-escaped (CommonMark renders ``\\X`` as ``X``, also inside a GFM
    table cell, so ``|``, ``*``, ``<``, ``&``, ``[`` and backticks cannot start anything),
    control characters are shown as escapes and ``@name`` cannot mention anyone. A URL in
    a value may still be shown as a link to itself (GitHub's autolinks), never as other text."""
    escaped = _SPECIAL.sub(r"\\\1", printable(value))
    return _MENTION.sub("@" + _WORD_JOINER, escaped.replace("\\@", "@"))


def md_code(value: object) -> str:
    """An inline code span holding ``value`` that no backtick inside can close: the fence is
    one backtick longer than the longest run inside (GitHub neither mentions nor links in
    code). Not for table cells - use ``md_cell_code`` there."""
    text = printable(value)
    if not text:
        return "` `"
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text[0] in "` " or text[-1] in "` " else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def md_cell_code(value: object) -> str:
    """``value`` in code style inside a GFM table cell. A code span cannot hold ``\\|``
    safely there (the table splits cells before code spans are read), so the value is
    escaped text inside ``<code>``, which GitHub keeps."""
    return f"<code>{md_text(value)}</code>"


def md_fence(body: str, info: str = "") -> str:
    """A fenced code block around ``body`` that no line inside can close."""
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def html_text(value: object) -> str:
    """Text inside an HTML block of a markdown document (``<summary>``): markdown is not
    read there, so HTML escaping (and one line) is what keeps it literal."""
    return html.escape(printable(value), quote=True).replace("@", "&#64;" + _WORD_JOINER)


def shell_word(value: object) -> str:
    """One shell word for a command shown as a remediation (``aws ... --name NAME``)."""
    return shlex.quote(printable(value))

"""Inspect an .xlsx archive before any parser loads it, so the work is bounded by the data
and not by what the file claims.

A workbook is a zip of XML parts. Parsers trust it: calamine allocates the whole range
from A1 to the farthest cell (one cell at XFD1048576 is 17 billion cells and aborts the
process), a few KB of deflate can inflate to gigabytes, and an XML entity declaration
can expand without end. This module reads the zip directory and streams only the parts
the matrix needs - the workbook part, its relationships, shared strings, styles and the
Users and Policies sheets - checking:

- the format (an .xls, .xlsb or .ods file is refused by name), and no two entries a reader
  could confuse (parts are looked up ignoring case and slashes, as calamine does),
- every part's declared and actual uncompressed size, against a budget that grows with
  the file (``MAX_INFLATE_RATIO``) but never past ``MAX_PARTS_BYTES``,
- no DTD or entity declaration (Excel never writes one),
- which sheets match Users/Policies after trimming and case folding (two is an error), and
  that they are visible (what Excel shows must be what deploys),
- the extent of the cells actually present in each sheet (``MAX_SHEET_AREA`` or four
  times the cells present, whichever is more; never past Excel's own grid),
- the shared strings (calamine loads them all): their count and size, against the cells
  of the matrix sheets,

and collects the facts calamine does not report: error values (``#N/A`` reads as blank),
formulas with no saved result, and formulas whose value comes from another workbook -
directly, through defined names, or through a shared formula.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.etree import ElementTree

import numpy as np

from .input_files import clip
from .problems import MAX_LISTED_PER_KIND, column_letter

EXCEL_ROWS, EXCEL_COLS = 1_048_576, 16_384
MAX_SHEET_AREA = 2_000_000  # rows x columns allowed whatever the cells present (5,000 x 300 is 1.5M)
AREA_PER_CELL = 4  # ... and beyond that, at most this many grid cells per cell present
MAX_INFLATE_RATIO = 100  # uncompressed bytes read per byte of the file ...
MIN_PARTS_BUDGET = 64 << 20  # ... but at least this much
MAX_PARTS_BYTES = 2 << 30  # and never more (a 1,048,576-row sheet is ~300 MB of XML)
MAX_SMALL_PART_BYTES = 16 << 20  # workbook.xml and its relationships
# xl/sharedStrings.xml: entries beyond the cells of the matrix sheets (other sheets' text), and its size
SHARED_STRINGS_SLACK = 200_000  # a 5,000 x 300 matrix needs ~5,300 in all
SHARED_STRINGS_SLACK_BYTES = 32 << 20
SHARED_STRING_BYTES_PER_CELL = 128  # a user name of 64 characters and its tags
SHARED_STRINGS_FIX = "save the matrix alone as a new workbook (the text of the other sheets is loaded too)"
MAX_REPORTED_CELLS = MAX_LISTED_PER_KIND  # cells kept per kind per sheet; the rest are counted

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DTD = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)


class WorkbookRefused(Exception):
    """The workbook must not be handed to a parser; ``message`` and ``fix`` say why."""

    def __init__(self, message: str, fix: str, code: str = "file-xlsx", sheet: str | None = None):
        super().__init__(message)
        self.message = message
        self.fix = fix
        self.code = code
        self.sheet = sheet


@dataclass
class CellNote:
    """A cell calamine would read wrongly or silently: ``kind`` is error/uncalculated/external."""

    kind: str
    row: int  # 0-based
    col: int
    detail: str


@dataclass
class SheetFacts:
    name: str
    part: str
    rows: int = 0  # extent of the cells present (1-based last row / column)
    cols: int = 0
    cells: int = 0
    notes: list[CellNote] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    has_hash: bool = False  # a "#" anywhere in the sheet (or shared strings): error literals possible


@dataclass
class Inspection:
    sheets: dict[str, SheetFacts]  # by wanted name (Users, Policies)
    missing: list[str]
    sheet_names: list[str]
    problems: list[WorkbookRefused] = field(default_factory=list)  # sheet-level problems


def inspect_workbook(data: bytes, wanted: tuple[str, ...]) -> Inspection:
    """Check the bytes of a workbook as described above; WorkbookRefused for a file no
    parser may open, sheet-level problems in ``Inspection.problems``."""
    size = len(data)
    if data[:8] == OLE_MAGIC:
        raise WorkbookRefused(
            "this is an Excel 97-2003 workbook (.xls); only .xlsx is read",
            'open it in Excel and "Save As" Excel Workbook (.xlsx)',
            "file-format",
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise WorkbookRefused(
            f"not a readable Excel workbook ({clip(str(error))})", "save it as .xlsx from Excel or LibreOffice"
        ) from None
    with archive:
        names = _Parts(archive.namelist())
        _check_format(archive, names)
        budget = _Budget(min(MAX_PARTS_BYTES, max(MIN_PARTS_BUDGET, size * MAX_INFLATE_RATIO)))
        workbook_xml = _read_small(archive, names["xl/workbook.xml"], budget)
        rels = "xl/_rels/workbook.xml.rels"
        rels_xml = _read_small(archive, names[rels], budget) if rels in names else b""
        workbook = _parse(workbook_xml, "xl/workbook.xml")
        sheets = _sheet_list(workbook, rels_xml)
        links = ExternalLinks.of(workbook, names.keys)
        inspection = Inspection({}, [], [name for name, _, _ in sheets])
        for want in wanted:
            matches = [
                (name, state, part) for name, state, part in sheets if name.strip().casefold() == want.casefold()
            ]
            if not matches:
                inspection.missing.append(want)
                continue
            if len(matches) > 1:
                listed = ", ".join(
                    f"{clip(name)}{'' if state == 'visible' else f' ({state})'}" for name, state, _ in matches
                )
                inspection.problems.append(
                    WorkbookRefused(
                        f"{len(matches)} sheets are named {want!r} once trimmed and case folded: {listed}",
                        f"keep one {want} sheet; rename or delete the others",
                        "sheet-ambiguous",
                    )
                )
                continue
            name, state, part = matches[0]
            if state != "visible":
                inspection.problems.append(
                    WorkbookRefused(
                        f"the {want} sheet {clip(name)} is {state}: what Excel shows must be what deploys",
                        "unhide it (Format > Sheet > Unhide; a veryHidden sheet needs the VBA editor) or delete it",
                        "sheet-hidden",
                        name,
                    )
                )
                continue
            if part is None or part not in names:
                inspection.problems.append(
                    WorkbookRefused(
                        f"the {want} sheet {clip(name)} is not a worksheet (a chart sheet or a missing part)",
                        f"put the {want.lower()} matrix on an ordinary worksheet",
                        "sheet-missing",
                        name,
                    )
                )
                continue
            facts = SheetFacts(name, names[part])
            _stream(archive, names[part], budget, facts, links=links)
            _check_extent(facts)
            inspection.sheets[want] = facts
        # calamine loads the shared strings and the styles when it opens the file: every entry,
        # for all sheets. Each cell of the matrix sheets can use one; few more are allowed.
        cells = sum(facts.cells for facts in inspection.sheets.values())
        shared = _SharedStrings(SHARED_STRINGS_SLACK + cells)
        if "xl/sharedStrings.xml" in names:
            part = names["xl/sharedStrings.xml"]
            allowed = SHARED_STRINGS_SLACK_BYTES + SHARED_STRING_BYTES_PER_CELL * cells
            if _info(archive, part).file_size > allowed:
                raise WorkbookRefused(
                    f"part {part} (the text of every sheet) is {_info(archive, part).file_size:,} bytes uncompressed;"
                    f" for {cells:,} cells in the matrix sheets at most {allowed:,} are read",
                    SHARED_STRINGS_FIX,
                    "file-too-large",
                )
            _stream(archive, part, budget, None, shared.feed)
        if "xl/styles.xml" in names:
            _stream(archive, names["xl/styles.xml"], budget, None)
        for facts in inspection.sheets.values():
            facts.has_hash = facts.has_hash or shared.has_hash
        return inspection


def _check_format(archive: zipfile.ZipFile, names: _Parts) -> None:
    if "mimetype" in names and "content.xml" in names:
        raise WorkbookRefused(
            "this is an OpenDocument spreadsheet (.ods); only .xlsx is read",
            'save it as "Excel 2007-365 (.xlsx)" from LibreOffice',
            "file-format",
        )
    if "xl/workbook.bin" in names:
        raise WorkbookRefused(
            "this is an Excel binary workbook (.xlsb); only .xlsx is read",
            'open it in Excel and "Save As" Excel Workbook (.xlsx)',
            "file-format",
        )
    if "xl/workbook.xml" not in names:
        raise WorkbookRefused(
            "this zip file is not an Excel workbook (it has no xl/workbook.xml)",
            "save the matrix as .xlsx from Excel or LibreOffice",
        )


def _part_key(name: str) -> str:
    """A part name as readers match it: calamine finds ``xl/SharedStrings.xml`` or
    ``xl\\sharedStrings.xml`` for ``xl/sharedStrings.xml``."""
    return name.replace("\\", "/").lstrip("/").lower()


class _Parts:
    """The entries of the zip by the name readers match them by. Two entries that match the
    same name (the same name twice, or names differing only in case or slashes) are refused:
    this module would check one and a parser could read the other."""

    def __init__(self, names: list[str]):
        self.by_key: dict[str, str] = {}
        for name in names:
            key = _part_key(name)
            if key in self.by_key:
                raise WorkbookRefused(
                    f"the zip holds two entries named {clip(self.by_key[key])} and {clip(name)}"
                    " (the same name, or differing only in case or slashes); a reader could pick either",
                    "the file is damaged or crafted; save the workbook again from Excel or LibreOffice",
                )
            self.by_key[key] = name

    @property
    def keys(self) -> set[str]:
        return set(self.by_key)

    def __contains__(self, part: str) -> bool:
        return _part_key(part) in self.by_key

    def __getitem__(self, part: str) -> str:
        return self.by_key[_part_key(part)]


class _SharedStrings:
    """Counts the entries of the shared strings part as it streams past (calamine keeps every
    one in memory, for all sheets) and notes a ``#`` (error literals are possible)."""

    def __init__(self, allowed: int) -> None:
        self.allowed = allowed
        self.count = 0
        self.has_hash = False
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        window = self.tail + chunk  # the tail is shorter than a start tag: nothing is counted twice
        self.count += len(_SHARED_STRING.findall(window))
        self.tail = window[-(_SHARED_TAG_MAX - 1) :]
        self.has_hash = self.has_hash or b"#" in chunk
        if self.count > self.allowed:
            raise WorkbookRefused(
                f"the shared strings (the text of every sheet) hold more than {self.allowed:,} entries:"
                f" the matrix sheets have {self.allowed - SHARED_STRINGS_SLACK:,} cells and"
                f" {SHARED_STRINGS_SLACK:,} more are allowed",
                SHARED_STRINGS_FIX,
                "file-too-large",
            )


_SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]{0,15}:)?si[\s>/]")  # <si> or <x:si ...>
_SHARED_TAG_MAX = 21  # the longest start tag the pattern matches


class _Budget:
    """Uncompressed bytes still allowed for the parts read from this file."""

    def __init__(self, total: int):
        self.total = total
        self.left = total

    def take(self, part: str, amount: int) -> None:
        self.left -= amount
        if self.left < 0:
            raise WorkbookRefused(
                f"the parts of the workbook that are read inflate to more than {self.total:,} bytes (at {part})",
                "the file is a zip bomb or far larger than a matrix needs; save the matrix alone as a new workbook",
                "file-too-large",
            )


def _info(archive: zipfile.ZipFile, part: str) -> zipfile.ZipInfo:
    info = archive.getinfo(part)
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise WorkbookRefused(
            f"part {part} uses a compression Excel does not write", "save the workbook again from Excel or LibreOffice"
        )
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        raise WorkbookRefused(
            f"part {part} has inconsistent sizes", "save the workbook again from Excel or LibreOffice"
        )
    return info


def _read_small(archive: zipfile.ZipFile, part: str, budget: _Budget) -> bytes:
    info = _info(archive, part)
    if info.file_size > MAX_SMALL_PART_BYTES:
        raise WorkbookRefused(
            f"part {part} is {info.file_size:,} bytes uncompressed; at most {MAX_SMALL_PART_BYTES:,} are read",
            "save the workbook again from Excel or LibreOffice",
            "file-too-large",
        )
    chunks: list[bytes] = []
    _stream(archive, part, budget, None, chunks.append)
    return b"".join(chunks)


def _stream(
    archive: zipfile.ZipFile,
    part: str,
    budget: _Budget,
    facts: SheetFacts | None,
    keep=None,
    links: ExternalLinks | None = None,
) -> None:
    """Inflate ``part`` in 1 MiB steps: its declared size counts against the budget, and
    the inflated bytes must end exactly there (a deflate stream longer than declared is a
    file some other reader would keep inflating)."""
    info = _info(archive, part)
    budget.take(part, info.file_size)
    scanner = _SheetScanner(facts, links or ExternalLinks()) if facts is not None else None
    tail = b""
    read = 0
    try:
        with archive.open(info) as stream:
            while chunk := stream.read(1 << 20):
                read += len(chunk)
                window = tail + chunk
                if b"<!" in window and _DTD.search(window):
                    raise WorkbookRefused(
                        f"part {part} declares XML entities (<!DOCTYPE>/<!ENTITY>); "
                        "Excel never writes them and they can expand without end",
                        "save the workbook again from Excel or LibreOffice",
                        "file-xlsx-entities",
                    )
                tail = window[-16:]
                if keep is not None:
                    keep(chunk)
                if scanner is not None:
                    scanner.feed(chunk)
            decompressor = getattr(stream, "_decompressor", None)
            if decompressor is not None and not getattr(decompressor, "eof", True):
                raise WorkbookRefused(
                    f"part {part} inflates to more than its declared {info.file_size:,} bytes",
                    "the file is damaged or crafted; save the workbook again from Excel or LibreOffice",
                    "file-too-large",
                )
    except WorkbookRefused:
        raise
    except Exception as error:  # BadZipFile (CRC), zlib.error, OSError, EOFError: all mean a damaged part
        raise WorkbookRefused(
            f"part {part} cannot be read ({clip(str(error))})", "save the workbook again from Excel or LibreOffice"
        ) from None
    if read != info.file_size:
        raise WorkbookRefused(
            f"part {part} holds {read:,} bytes but declares {info.file_size:,}",
            "save the workbook again from Excel or LibreOffice",
        )
    if scanner is not None:
        scanner.close()


def _parse(xml: bytes, part: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(xml)  # no DTD reaches here: _stream refused it
    except ElementTree.ParseError as error:
        raise WorkbookRefused(
            f"part {part} is not well-formed XML ({clip(str(error))})",
            "save the workbook again from Excel or LibreOffice",
        ) from None


def _sheet_list(workbook: ElementTree.Element, rels_xml: bytes) -> list[tuple[str, str, str | None]]:
    """(name, state, part) of every sheet, in workbook order; part None for a non-worksheet."""
    targets: dict[str, str] = {}
    if rels_xml:
        for rel in _parse(rels_xml, "xl/_rels/workbook.xml.rels").iter(f"{NS_PKG_REL}Relationship"):
            if rel.get("Type", "").endswith("/worksheet"):
                target = rel.get("Target", "")
                targets[rel.get("Id", "")] = (
                    target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
                )
    sheets = []
    for sheet in workbook.iter(f"{NS_MAIN}sheet"):
        sheets.append((sheet.get("name", ""), sheet.get("state", "visible"), targets.get(sheet.get(f"{NS_REL}id", ""))))
    return sheets


_ROOT = re.compile(rb"<(\w+:)?worksheet\b")


class _Patterns:
    """The worksheet patterns for one element prefix (``<c>`` or, from some writers, ``<x:c>``)."""

    def __init__(self, prefix: bytes):
        p = re.escape(prefix)
        self.cell_tag = b"<" + prefix + b"c"
        self.cell_tag_ref = b"<" + prefix + b'c r="'
        self.cell_opens = (b"<" + prefix + b"c ", b"<" + prefix + b"c>", b"<" + prefix + b"c/")
        self.row_tag = b"<" + prefix + b"row"
        self.row_tag_ref = b"<" + prefix + b'row r="'
        self.cell_start = re.compile(rb"<" + p + rb"c[\s>/]")
        self.cell_ref = re.compile(rb"<" + p + rb'c\s[^>]*?\br="([A-Za-z]+)(\d+)"')
        self.row_start = re.compile(rb"<" + p + rb"row[\s>/]")
        self.row_ref = re.compile(rb"<" + p + rb'row\s[^>]*?\br="(\d+)"')
        self.error_cell = re.compile(rb"<" + p + rb'c\s[^>]*?\bt="e"[^>]*?(?:/>|>(.*?)</' + p + rb"c>)", re.DOTALL)
        self.formula = re.compile(rb"<" + p + rb"f[\s>/]")
        self.value = re.compile(rb"<" + p + rb"v>([^<]*)</" + p + rb"v>")
        self.formula_text = re.compile(rb"<" + p + rb"f\b[^>]*>([^<]*)</" + p + rb"f>")
        self.shared_index = re.compile(rb'\bsi="(\d+)"')
        self.cell_end = b"</" + prefix + b"c>"


# A reference into another workbook: [1]Sheet1!A1 as Excel saves it, or by file name ([rates.xlsx]Sheet1!A1)
_EXTERNAL = re.compile(rb"\[\d+\]|\[[^\[\]]*\.xl\w*\]", re.IGNORECASE)
_NAME_TOKEN = re.compile(rb"[A-Za-z_\\][\w.\\]*")
_INDIRECT = re.compile(rb"\bINDIRECT\s*\(", re.IGNORECASE)
MAX_NAME_ROUNDS = 32  # defined names that refer to names that refer to ... an external one


@dataclass
class ExternalLinks:
    """What in a workbook reaches another workbook: its external link parts
    (``xl/externalLinks/``) and the defined names whose formula does, directly or through
    other names. A formula that uses such a name takes its value from elsewhere although
    its own text shows no ``[1]``."""

    parts: tuple[str, ...] = ()
    names: dict[bytes, str] = field(default_factory=dict)  # lower-cased name -> its formula
    linked: bool = False  # external link parts, or <externalReferences> in workbook.xml

    @classmethod
    def of(cls, workbook: ElementTree.Element, keys: set[str]) -> ExternalLinks:
        parts = tuple(sorted(key for key in keys if key.startswith("xl/externallinks/") and key.endswith(".xml")))
        linked = bool(parts) or workbook.find(f"{NS_MAIN}externalReferences") is not None
        defined: dict[bytes, bytes] = {}
        for name in workbook.iter(f"{NS_MAIN}definedName"):
            defined[name.get("name", "").lower().encode()] = (name.text or "").encode()
        external = {
            key: text.decode()
            for key, text in defined.items()
            if _EXTERNAL.search(text) or (linked and _INDIRECT.search(text))
        }
        tokens = {key: {t.lower() for t in _NAME_TOKEN.findall(text)} for key, text in defined.items()}
        for _ in range(MAX_NAME_ROUNDS):
            more = {key for key, used in tokens.items() if key not in external and used & external.keys()}
            if not more:
                break
            for key in more:
                through = sorted(tokens[key] & external.keys())[0]
                external[key] = f"{defined[key].decode()}, where {through.decode()} = {external[through]}"
        return cls(parts, external, linked)

    def reached_by(self, formula: bytes) -> str | None:
        """How ``formula`` reaches another workbook, or None."""
        if _EXTERNAL.search(formula):
            return formula.decode("utf-8", "replace")
        if self.names:
            for token in _NAME_TOKEN.findall(formula):
                through = self.names.get(token.lower())
                if through is not None:
                    return f"{formula.decode('utf-8', 'replace')}, where {token.decode()} = {through}"
        if self.linked and _INDIRECT.search(formula):
            linked = self.parts[0] if self.parts else "other workbooks"
            return f"{formula.decode('utf-8', 'replace')}: INDIRECT in a workbook that links {linked}"
        return None


_REF_IN_TAG = re.compile(rb'\br="([A-Za-z]+)(\d+)"')


_WINDOW = 12  # bytes after r=" that can hold a reference Excel accepts (XFD1048576 is 10)


def _leading_refs(data: bytes, tag: bytes) -> tuple[int, int, int]:
    """(count, max row, max column) of the cells written ``<c r="REF"`` - the way Excel,
    LibreOffice and openpyxl write every cell - found with numpy instead of one regex
    match per cell (a 5,000 x 300 sheet has 1.5 million). A reference too long for
    Excel's grid gives a row or column beyond it."""
    arr = np.frombuffer(data + bytes(_WINDOW), dtype=np.uint8)  # padded: a tag at the very end is read too
    n = len(arr) - len(tag) - _WINDOW
    if n <= 0:
        return 0, 0, 0
    starts = np.flatnonzero(arr[:n] == tag[0])
    for offset in range(1, len(tag)):
        starts = starts[arr[starts + offset] == tag[offset]]
    if starts.size == 0:
        return 0, 0, 0
    window = arr[(starts + len(tag))[:, None] + np.arange(_WINDOW)]
    lower = window | 0x20
    alpha = (lower >= ord("a")) & (lower <= ord("z"))
    letters = np.argmin(alpha, axis=1)  # the first byte that is not a letter
    col = np.zeros(len(starts), dtype=np.int64)
    for k in range(3):
        col = np.where(letters > k, col * 26 + (lower[:, k].astype(np.int64) - 96), col)
    col = np.where((letters == 0) | (letters > 3), EXCEL_COLS + 1, col)
    tail = (
        np.take_along_axis(window, np.minimum(letters[:, None] + np.arange(8), _WINDOW - 1), axis=1).astype(np.int64)
        - 48
    )
    digit = (tail >= 0) & (tail <= 9)
    digits = np.argmin(np.concatenate([digit, np.zeros((len(starts), 1), dtype=bool)], axis=1), axis=1)
    row = np.zeros(len(starts), dtype=np.int64)
    for k in range(7):
        row = np.where(digits > k, row * 10 + tail[:, k], row)
    row = np.where((digits == 0) | (digits > 7), EXCEL_ROWS + 1, row)
    return len(starts), int(row.max()), int(col.max())


def _column_index(letters: bytes) -> int:
    index = 0
    for byte in letters.upper()[:8]:
        index = index * 26 + (byte - 64)
    return index


class _SheetScanner:
    """Finds, in a worksheet part fed in chunks, the extent of the cells present and the
    cells calamine misreads. Chunks are cut before the last cell or row start tag, so no
    cell is split between two scans."""

    def __init__(self, facts: SheetFacts, links: ExternalLinks):
        self.facts = facts
        self.links = links
        self.shared_external: dict[bytes, str] = {}  # si of a shared formula whose master reaches outside
        self.patterns: _Patterns | None = None
        self.pending = b""
        self.max_row = self.max_col = 0
        self.unreferenced_cols = 0
        self.rows_without_ref = 0

    def feed(self, chunk: bytes) -> None:
        data = self.pending + chunk
        if self.patterns is None:
            root = _ROOT.search(data)
            if root is None and len(data) < 1 << 20:
                self.pending = data
                return
            self.patterns = _Patterns(root.group(1) or b"" if root else b"")
        p = self.patterns
        cut = max(data.rfind(p.cell_tag), data.rfind(p.row_tag))
        if cut <= 0:
            if len(data) > 64 << 20:
                raise WorkbookRefused(
                    f"sheet {clip(self.facts.name)} holds a single cell of more than 64 MB",
                    "a cell holds at most 32,767 characters in Excel; save the workbook again",
                    "file-too-large",
                    self.facts.name,
                )
            self.pending = data
            return
        self._scan(data[:cut])
        self.pending = data[cut:]

    def close(self) -> None:
        if self.patterns is None:
            self.patterns = _Patterns(b"")
        self._scan(self.pending)
        self.pending = b""
        self.facts.rows = self.max_row + self.rows_without_ref
        self.facts.cols = self.max_col + self.unreferenced_cols

    def _scan(self, data: bytes) -> None:
        p = self.patterns
        if not data or p is None:
            return
        starts = sum(data.count(tag) for tag in p.cell_opens)
        self.facts.cells += starts
        if b"#" in data:
            self.facts.has_hash = True
        found, max_row, max_col = _leading_refs(data, p.cell_tag_ref)
        if found < starts:  # some cell puts r= later, or has none: the general (slower) pattern
            refs = p.cell_ref.findall(data)
            found = len(refs)
            if refs:
                max_col = max(max_col, max(_column_index(c) for c in {col for col, _ in refs}))
                max_row = max(max_row, max(int(r[:9]) for r in {row for _, row in refs}))
        self.max_col = max(self.max_col, max_col)
        self.max_row = max(self.max_row, max_row)
        if starts > found:  # a cell without a reference follows the one before it: bound by the row's length
            self.unreferenced_cols = max(
                self.unreferenced_cols, max(len(p.cell_start.findall(row)) for row in data.split(b"</row>"))
            )
        row_tags = data.count(p.row_tag)
        rows_found, max_row, _ = _leading_refs(data, p.row_tag_ref)  # <row r="N" as Excel writes it
        if rows_found < row_tags:  # some row puts r= later or has none (or it is <rowBreaks>): the regex
            row_refs = p.row_ref.findall(data)
            rows_found = len(row_refs)
            max_row = max((int(r[:9]) for r in set(row_refs)), default=0)
        self.max_row = max(self.max_row, max_row)
        self.rows_without_ref += max(0, row_tags - rows_found)  # <rowBreaks> counts once: harmless
        if b't="e"' in data:
            for match in p.error_cell.finditer(data):
                value = p.value.search(match.group(1) or b"")
                self._note("error", match.group(0), (value.group(1) if value else b"#ERROR").decode("utf-8", "replace"))
        if p.formula.search(data):
            for match in p.formula.finditer(data):
                start = data.rfind(p.cell_tag, 0, match.start())
                end = data.find(p.cell_end, match.start())
                cell = data[max(start, 0) : end if end >= 0 else len(data)]
                formula = p.formula_text.search(cell)
                text = formula.group(1) if formula else b""
                shared = p.shared_index.search(data, match.start(), data.find(b">", match.start()) + 1)
                reached = self.links.reached_by(text) if text else None
                if shared is not None:  # the cells of a shared formula carry its text only in the first
                    if reached is not None:
                        self.shared_external[shared.group(1)] = reached
                    elif not text:
                        reached = self.shared_external.get(shared.group(1))
                if reached is not None:
                    self._note("external", cell, reached)
                value = p.value.search(cell)
                if value is None or not value.group(1).strip():
                    self._note("uncalculated", cell, text.decode("utf-8", "replace"))

    def _note(self, kind: str, cell: bytes, detail: str) -> None:
        facts = self.facts
        facts.counts[kind] = facts.counts.get(kind, 0) + 1
        if facts.counts[kind] > MAX_REPORTED_CELLS:
            return
        end = cell.find(b">")
        ref = _REF_IN_TAG.search(cell[: end + 1] if end >= 0 else cell)
        if ref is None or len(ref.group(1)) > 3 or len(ref.group(2)) > 7:
            return
        facts.notes.append(CellNote(kind, int(ref.group(2)) - 1, _column_index(ref.group(1)) - 1, detail))


def _check_extent(facts: SheetFacts) -> None:
    name = clip(facts.name)
    if facts.rows > EXCEL_ROWS or facts.cols > EXCEL_COLS:
        raise WorkbookRefused(
            f"sheet {name} has cells beyond Excel's grid ({EXCEL_ROWS:,} rows x {EXCEL_COLS:,} columns)",
            "the file is damaged or crafted; save the workbook again from Excel",
            "sheet-too-large",
            facts.name,
        )
    area = facts.rows * facts.cols
    allowed = max(MAX_SHEET_AREA, AREA_PER_CELL * facts.cells)
    if area > allowed:
        far = f"{column_letter(facts.cols - 1)}{facts.rows}"
        raise WorkbookRefused(
            f"sheet {name} spans A1:{far} ({area:,} cells) for "
            f"{facts.cells:,} cells present; at most {allowed:,} are read",
            f"delete the stray cells far from the matrix (press Ctrl+End in Excel to find the last one, near {far})",
            "sheet-too-large",
            facts.name,
        )

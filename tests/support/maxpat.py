"""A small reader and checker for Max's JSON patcher format (``.maxpat``), for the patch tests.

A patch is ``{"patcher": {"fileversion": 1, "appversion": {...}, "rect": [...],
"boxes": [{"box": {...}}], "lines": [{"patchline": {"source": [id, outlet],
"destination": [id, inlet]}}]}}``. Object boxes (``maxclass`` ``newobj``) carry
their class and arguments in ``text``; message boxes (``message``) carry the
message; subpatchers nest a ``patcher`` inside a box.

:func:`check_patch` returns a list of problems (empty when the patch is sound);
the tests assert on it so a failure names every broken cord at once.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Box", "Line", "Patch", "check_patch", "read_patch", "split_atoms"]


def split_atoms(text: str) -> list[str]:
    """A box's text as Max atoms: spaces separate, double quotes group (``"Macintosh HD:/x y.wav"``)."""
    try:
        return shlex.split(text, posix=True)
    except ValueError:
        return text.split()


@dataclass(frozen=True)
class Box:
    id: str
    maxclass: str
    text: str
    numinlets: int
    numoutlets: int
    raw: dict[str, Any] = field(repr=False, compare=False)

    @property
    def atoms(self) -> list[str]:
        return split_atoms(self.text)

    @property
    def object_class(self) -> str:
        """``udpsend`` for ``[udpsend 127.0.0.1 9000]``; the maxclass for UI objects and messages."""
        if self.maxclass == "newobj" and self.atoms:
            return self.atoms[0]
        return self.maxclass

    @property
    def args(self) -> list[str]:
        """Object arguments, without ``@attribute value`` pairs."""
        args: list[str] = []
        for atom in self.atoms[1:]:
            if atom.startswith("@"):
                break
            args.append(atom)
        return args

    def attribute(self, name: str) -> list[str] | None:
        """The values of ``@name`` in an object box's text, or ``None``."""
        atoms = self.atoms
        if f"@{name}" not in atoms:
            return None
        start = atoms.index(f"@{name}") + 1
        values: list[str] = []
        for atom in atoms[start:]:
            if atom.startswith("@"):
                break
            values.append(atom)
        return values


@dataclass(frozen=True)
class Line:
    source: tuple[str, int]
    destination: tuple[str, int]


@dataclass(frozen=True)
class Patch:
    path: Path
    data: dict[str, Any] = field(repr=False)
    boxes: dict[str, Box]
    lines: list[Line]
    subpatches: list[Patch]

    def walk(self) -> Iterator[Patch]:
        yield self
        for sub in self.subpatches:
            yield from sub.walk()

    def all_boxes(self) -> Iterator[Box]:
        for patch in self.walk():
            yield from patch.boxes.values()

    def of_class(self, name: str) -> list[Box]:
        return [box for box in self.all_boxes() if box.object_class == name]

    def sources_of(self, box_id: str) -> list[tuple[Box, int, int]]:
        """``(source box, outlet, inlet)`` for every cord into ``box_id``."""
        return [(self.boxes[l.source[0]], l.source[1], l.destination[1]) for l in self.lines if l.destination[0] == box_id]

    def destinations_of(self, box_id: str, outlet: int | None = None) -> list[Box]:
        return [
            self.boxes[l.destination[0]]
            for l in self.lines
            if l.source[0] == box_id and (outlet is None or l.source[1] == outlet)
        ]


def _parse_patcher(path: Path, patcher: dict[str, Any]) -> Patch:
    boxes: dict[str, Box] = {}
    subpatches: list[Patch] = []
    for entry in patcher.get("boxes", []):
        raw = entry["box"]
        box = Box(
            id=raw["id"],
            maxclass=raw["maxclass"],
            text=str(raw.get("text", "")),
            numinlets=int(raw.get("numinlets", 0)),
            numoutlets=int(raw.get("numoutlets", 0)),
            raw=raw,
        )
        if box.id in boxes:
            raise ValueError(f"{path}: two boxes have the id {box.id!r}")
        boxes[box.id] = box
        if isinstance(raw.get("patcher"), dict):
            subpatches.append(_parse_patcher(path, raw["patcher"]))
    lines = [
        Line(
            source=(entry["patchline"]["source"][0], int(entry["patchline"]["source"][1])),
            destination=(entry["patchline"]["destination"][0], int(entry["patchline"]["destination"][1])),
        )
        for entry in patcher.get("lines", [])
    ]
    return Patch(path=path, data=patcher, boxes=boxes, lines=lines, subpatches=subpatches)


def read_patch(path: Path) -> Patch:
    """Parse a ``.maxpat``; raises ``ValueError`` when it is not Max's JSON patcher shape."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("patcher"), dict):
        raise ValueError(f"{path}: no top-level 'patcher' object")
    return _parse_patcher(path, data["patcher"])


# inlets/outlets Max gives these classes, by their arguments: a saved count that differs is a broken file
def _expected_io(box: Box) -> tuple[int, int] | None:
    cls, nargs = box.object_class, len(box.args)
    table: dict[str, tuple[int, int]] = {
        "message": (2, 1), "comment": (1, 0), "button": (1, 1), "toggle": (1, 1),
        "udpsend": (1, 0), "udpreceive": (1, 1), "prepend": (1, 1), "loadbang": (1, 1),
        "deferlow": (1, 1), "print": (1, 0), "dac~": (2, 0), "ezdac~": (2, 0),
    }
    if cls in table:
        return table[cls]
    if cls == "route":
        return (2, nargs + 1)
    if cls in ("unpack", "t", "trigger"):
        return (1, max(nargs, 1) if cls == "unpack" else nargs)
    return None


def check_patch(patch: Patch) -> list[str]:
    """Every problem found: required keys, cords to missing boxes or past the last inlet/outlet, wrong counts."""
    problems: list[str] = []
    for sub in patch.walk():
        data = sub.data
        for key in ("fileversion", "appversion", "rect", "boxes", "lines"):
            if key not in data:
                problems.append(f"patcher lacks {key!r}")
        for box in sub.boxes.values():
            rect = box.raw.get("patching_rect")
            if not (isinstance(rect, list) and len(rect) == 4):
                problems.append(f"{box.id} ({box.object_class}) has no patching_rect [x, y, w, h]")
            if box.maxclass in ("newobj", "message", "comment") and not box.text:
                problems.append(f"{box.id} ({box.maxclass}) has no text")
            outlettype = box.raw.get("outlettype")
            if box.numoutlets and (not isinstance(outlettype, list) or len(outlettype) != box.numoutlets):
                problems.append(f"{box.id} ({box.object_class}): outlettype does not list {box.numoutlets} outlets")
            expected = _expected_io(box)
            if expected is not None and expected != (box.numinlets, box.numoutlets):
                problems.append(
                    f"{box.id} [{box.text}]: saved with {box.numinlets} inlets/{box.numoutlets} outlets, "
                    f"Max makes {expected[0]}/{expected[1]}"
                )
        for line in sub.lines:
            (src, outlet), (dst, inlet) = line.source, line.destination
            if src not in sub.boxes:
                problems.append(f"cord from missing box {src}")
                continue
            if dst not in sub.boxes:
                problems.append(f"cord to missing box {dst}")
                continue
            if not 0 <= outlet < sub.boxes[src].numoutlets:
                problems.append(f"cord from {src} [{sub.boxes[src].text}] outlet {outlet}: it has {sub.boxes[src].numoutlets}")
            if not 0 <= inlet < sub.boxes[dst].numinlets:
                problems.append(f"cord to {dst} [{sub.boxes[dst].text}] inlet {inlet}: it has {sub.boxes[dst].numinlets}")
    return problems

"""Generalised places: the street or area of a free-text address, never its door.

``generalise(address)`` is what ``field_log.place`` holds and what the bulletins' hot
spots group logs by when they name neither a watch point nor a landmark, so that
"幸福路12号3单元" and "幸福路15号" are both "幸福路", and "12 Xingfu Road" and
"Room 301, Xingfu Rd" are both "Xingfu Road". It drops house, building, unit, room and
floor numbers in Chinese and English; what remains is shown as it is in both languages.
An address with nothing but numbers (or nothing at all) gives "".

A log with a position but no address that says anything gets the grid cell of its
position instead (``near``): cells of 0.004° (about 440 m north to south, 250 to 420 m
east to west across China), named by their centre, "34.262°N 108.942°E", so that every
position in a cell gives the same name and none gives a door.

Chinese addresses run from the general to the particular, so everything from the first
door number on is dropped ("幸福路12号附近" → "幸福路"). English ones run the other way,
so the numbered words are taken out wherever they are and the rest is kept.
"""

from __future__ import annotations

import math
import re
import unicodedata

MAX_LENGTH = 200
GRID_STEPS = 250  # cells per degree: 0.004°
POSITION_PATTERN = re.compile(r"^\d{1,2}\.\d{3}°[NS] \d{1,3}\.\d{3}°[EW]$")

_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_DIGITS = r"[0-9]++"  # possessive: "107国道" is not "10" before "7"
_HAN_NUMBER = r"[零〇一二三四五六七八九十百千两]+"
# What follows a number when it is a door, a building, a unit, a room or a floor.
_MARKER = r"(?:号楼|号院|号(?!线)|栋|幢|座|单元|室|户|楼|层|弄|门牌|排|期)"
_CHINESE_DOOR = re.compile(
    r"(?:第\s*|(?i:no)\.?\s*)?(?:"
    rf"{_DIGITS}(?:\s*[-－—~～/#]\s*{_DIGITS})*\s*(?:{_MARKER}|(?=[-/#]|\s*$|\s*[^\u3400-\u9fff\s]))"  # 12号, 3-2-501, a bare 12 at the end
    rf"|{_HAN_NUMBER}\s*{_MARKER}"  # 五号楼, 三单元, 二楼
    rf"|[A-Za-z]\s*(?:栋|幢|座|单元|号楼)"  # A座, B栋
    r"|[#＃]\s*\d"
    r")"
)

_EN_UNIT_WORDS = (
    r"room|rm|unit|flat|apt|apartment|suite|ste|building|bldg|block|blk|tower|floor|fl|level|lvl|"
    r"house|no|nr|number|num|door|entrance|stair|staircase|lot|plot"
)
# A unit word and its number ("Room 301", "No. 5", "Flat 2B", "Block C", "Lane 88").
_EN_UNIT = re.compile(rf"\b(?:{_EN_UNIT_WORDS})\b\.?\s*(?:#\s*)?(?:\d+[a-z]?(?:\s*[-/]\s*\d+[a-z]?)*|[a-z]\b)", re.IGNORECASE)
# "Lane 88, …" (a Shanghai lane, 弄) at the start of a part; "Xingfu Lane" stays.
_EN_LANE = re.compile(r"(?:^|(?<=[,;]))\s*(?:lane|alley)\s+\d+[a-z]?\b", re.IGNORECASE)
# "3rd floor", "2nd fl"
_EN_FLOOR = re.compile(r"\b\d+(?:st|nd|rd|th)\s+(?:floor|fl|level)\b\.?", re.IGNORECASE)
# "#12", "12", "12A", "12-3", "3/5": a number on its own ("5th Avenue" is kept).
_EN_NUMBER = re.compile(r"#\s*\d+[a-z]?|\b\d+[a-z]?(?:\s*[-/]\s*\d+[a-z]?)*\b", re.IGNORECASE)
_EN_ABBREVIATIONS = {"rd": "road", "st": "street", "ave": "avenue", "av": "avenue", "ln": "lane", "blvd": "boulevard", "hwy": "highway", "sq": "square"}

_EDGE = " \t,，、;；:：.。-－—~～/#＃()（）[]【】"


def _chinese(text: str) -> str:
    match = _CHINESE_DOOR.search(text)
    if match:
        text = text[: match.start()]
    text = re.sub(r"\s+", "", text)  # Chinese addresses are written without spaces
    return text.strip(_EDGE)


def _english(text: str) -> str:
    text = _EN_LANE.sub(" ", text)
    text = _EN_FLOOR.sub(" ", text)
    text = _EN_UNIT.sub(" ", text)
    text = _EN_NUMBER.sub(" ", text)
    parts = []
    for part in re.split(r"[,;]", text):
        words = [w for w in re.sub(r"\s+", " ", part).strip(_EDGE).split(" ") if w.strip(_EDGE)]
        if not words or all(re.fullmatch(_EN_UNIT_WORDS, w.strip(_EDGE), re.IGNORECASE) for w in words):
            continue  # nothing but "Room", "Unit" … left of a numbered part
        last = words[-1].lower().rstrip(".")
        if len(words) > 1 and last in _EN_ABBREVIATIONS:
            words[-1] = _EN_ABBREVIATIONS[last]
        parts.append(" ".join(w.strip(_EDGE).capitalize() for w in words))
    return ", ".join(p for p in parts if p)


def generalise(address: str | None) -> str:
    """The street or area of ``address`` without any door, building, unit or room number;
    "" when nothing of that kind remains."""
    text = unicodedata.normalize("NFKC", address or "").strip()
    if not text:
        return ""
    place = _chinese(text) if _CJK.search(text) else _english(text)
    # What is left must name something: letters or Chinese characters, not a lone one.
    if len(re.findall(r"[^\W\d_]", place)) < 2:
        return ""
    return place[:MAX_LENGTH]


def near(latitude: float | None, longitude: float | None) -> str:
    """The name of the grid cell a position is in (its centre, to the cell's precision),
    e.g. "34.262°N 108.942°E"; "" without a (finite, valid) position."""
    if latitude is None or longitude is None:
        return ""
    if not (math.isfinite(latitude) and math.isfinite(longitude) and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        return ""

    def centre(degrees: float, top: int) -> float:
        # The cell's index; a hair added so a position on a cell's edge as typed is not
        # put in the cell below by a binary fraction (34.264 × 250 = 8565.999…).
        cell = min(math.floor(degrees * GRID_STEPS + 1e-7), top * GRID_STEPS - 1)
        return (cell + 0.5) / GRID_STEPS

    lat, lon = centre(latitude, 90), centre(longitude, 180)
    return f"{abs(lat):.3f}°{'N' if lat >= 0 else 'S'} {abs(lon):.3f}°{'E' if lon >= 0 else 'W'}"


def is_position(place: str) -> bool:
    """Whether a generalised place is a grid cell (``near``) rather than a street."""
    return bool(POSITION_PATTERN.match(place or ""))

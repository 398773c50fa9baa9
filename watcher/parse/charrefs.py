"""Character references that name no character a document may hold, replaced before a parser reads them.

Bad are: surrogate halves (D800-DFFF), the C0 controls XML forbids (all but tab, newline and carriage return,
NUL among them), the non-characters FFFE and FFFF, and numbers beyond 10FFFF. Some generators write a
character outside the BMP as its two UTF-16 halves (``&#55357;&#56832;``): a high half followed at once by a
low one becomes a reference to the character they encode; every other bad reference becomes U+FFFD.

One such reference makes an XML document ill-formed, and feedparser's lenient parser then turns it into a
lone surrogate that no text encoding (nor PostgreSQL) can hold, so a whole feed was lost to one item. The
patterns match only bad references, so a document full of good ones (``&#1055;`` for every Cyrillic letter)
costs one scan and no Python call per reference.
"""

from __future__ import annotations

import re

_Z = "0*"  # leading zeros change nothing
_HIGH_DEC = r"5529[6-9]|55[3-9][0-9]{2}|56[0-2][0-9]{2}|563[01][0-9]"  # 55296-56319
_LOW_DEC = r"563[2-9][0-9]|56[4-9][0-9]{2}|57[0-2][0-9]{2}|573[0-3][0-9]|5734[0-3]"  # 56320-57343
_HIGH_HEX = r"[dD][89abAB][0-9a-fA-F]{2}"
_LOW_HEX = r"[dD][c-fC-F][0-9a-fA-F]{2}"
_OTHER_DEC = (r"[0-8]|1[124-9]|2[0-9]|3[01]"  # C0 controls but 9, 10 and 13
              r"|6553[45]"  # FFFE, FFFF
              r"|111411[2-9]|11141[2-9][0-9]|1114[2-9][0-9]{2}|111[5-9][0-9]{3}|11[2-9][0-9]{4}|1[2-9][0-9]{5}|[2-9][0-9]{6}"
              r"|[1-9][0-9]{7,}")  # beyond 1114111
_OTHER_HEX = (r"[0-8bBcCeEfF]|1[0-9a-fA-F]"
              r"|[fF]{3}[eEfF]"
              r"|1[1-9a-fA-F][0-9a-fA-F]{4}|[2-9a-fA-F][0-9a-fA-F]{5}|[1-9a-fA-F][0-9a-fA-F]{6,}")


def _number(decimal: str, hexadecimal: str, name: str) -> str:
    """The part of a reference after "&#": a number in one of the given ranges, and ";"."""
    return rf"(?:{_Z}(?P<{name}d>{decimal})|[xX]{_Z}(?P<{name}x>{hexadecimal}));"


# "&#" first and once, so a search skips to each "&#" instead of trying every position.
_BAD = re.compile(
    f"&#(?:{_number(_HIGH_DEC, _HIGH_HEX, 'high')}(?:&#{_number(_LOW_DEC, _LOW_HEX, 'low')})?"
    f"|{_number(f'{_LOW_DEC}|{_OTHER_DEC}', f'{_LOW_HEX}|{_OTHER_HEX}', 'other')})"
)


def fix_references(text: str) -> str:
    """``text`` with every bad numeric character reference replaced (see the module's docstring); ``text``
    itself when it holds none."""
    if _BAD.search(text) is None:  # a search for the literal "&#" first, faster than str's own
        return text
    return _BAD.sub(_replacement, text)


def _replacement(match: re.Match[str]) -> str:
    high = match.group("highd") or match.group("highx")
    low = match.group("lowd") or match.group("lowx")
    if high is None or low is None:
        return "&#xFFFD;"
    high_value = int(high) if match.group("highd") else int(high, 16)
    low_value = int(low) if match.group("lowd") else int(low, 16)
    return f"&#x{0x10000 + ((high_value - 0xD800) << 10) + (low_value - 0xDC00):X};"

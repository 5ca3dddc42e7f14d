"""Text helpers for Vietnamese names: accent-, case- and prefix-insensitive keys."""

import re
import unicodedata

# Administrative prefixes that officials write, abbreviate or leave out. Longest first.
_PREFIXES = [
    "thanh pho truc thuoc trung uong",
    "thanh pho",
    "tp",
    "tinh",
    "thi xa",
    "tx",
    "thi tran",
    "tt",
    "quan",
    "huyen",
    "phuong",
    "xa",
    "dac khu",
]
_PREFIX_RE = re.compile(r"^(?:" + "|".join(re.escape(p) for p in _PREFIXES) + r")\s+")


def fold(text: str) -> str:
    """Lower case, no diacritics (đ → d), single spaces, punctuation as spaces."""
    text = unicodedata.normalize("NFD", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    text = re.sub(r"[^\w]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def name_key(name: str) -> str:
    """The key names are matched on: folded, without the administrative prefix ("TP. Hồ Chí Minh" → "ho chi minh")."""
    key = fold(name)
    previous = None
    while previous != key:
        previous = key
        key = _PREFIX_RE.sub("", key, count=1)
    return key or fold(name)


_PREFIX_CANONICAL = {
    "tp": "thanh pho",
    "tx": "thi xa",
    "tt": "thi tran",
    "thanh pho truc thuoc trung uong": "thanh pho",
}


def name_prefix(name: str) -> str:
    """The administrative prefix a name starts with, folded and unabbreviated ("TP. Huế" → "thanh pho"), or ""."""
    match = _PREFIX_RE.match(fold(name) + " ")
    if not match:
        return ""
    prefix = match.group(0).strip()
    return _PREFIX_CANONICAL.get(prefix, prefix)

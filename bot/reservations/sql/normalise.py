"""Normalising what passengers type: last names, booking references, flight numbers."""

from __future__ import annotations

import re
import unicodedata

# letters NFKD does not decompose into a base letter + combining mark
_FOLD = str.maketrans({"ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe",
                       "đ": "d", "Đ": "d", "ð": "d", "þ": "th", "ı": "i"})
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "ae", "Ö": "oe", "Ü": "ue"})
# name particles passengers often leave out ("Berg" for "van der Berg")
_PARTICLES = {"van", "der", "den", "de", "het", "ter", "ten", "te", "von", "zu", "vom", "da", "das", "do", "dos",
              "del", "della", "di", "du", "des", "la", "le", "lo", "mac", "st", "t", "s"}  # "van 't Hof" -> "Hof"
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1
_REF_RE = re.compile(r"^[A-Z0-9]{6}$")


def _latin(text: str) -> str:
    """Cyrillic, Chinese, Greek ... in Latin letters ("Иванов" -> "Ivanov", "王" -> "Wang"): bookings hold the name as
    in the passport, passengers may type it in their own script. Latin text is left as it is."""
    if text.isascii() or all(ord(c) < 0x250 for c in text):
        return text
    from anyascii import anyascii

    return "".join(c if ord(c) < 0x250 else anyascii(c) for c in text)


def _strip_marks(text: str) -> str:
    text = _latin(text)
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_key(name: str) -> str:
    """Case-, accent-, space- and hyphen-insensitive form: "van der Berg" -> "vanderberg", "Müller" -> "muller"."""
    return "".join(c for c in _strip_marks(name).casefold() if c.isalnum())


def name_keys(name: str) -> set[str]:
    """Every key a passenger may reasonably type for this stored last name."""
    keys = {name_key(name), name_key(name.translate(_GERMAN))}  # Müller -> muller, mueller
    words = [w for w in re.split(r"[\s\-']+", _strip_marks(name).casefold()) if w]
    while len(words) > 1 and words[0] in _PARTICLES:
        words = words[1:]
        keys.add("".join(c for c in "".join(words) if c.isalnum()))
    keys.discard("")
    return keys


def names_match(typed: str, stored: str) -> bool:
    typed_keys = {name_key(typed), name_key(typed.translate(_GERMAN))} - {""}
    return bool(typed_keys & name_keys(stored))


def normalise_reference(reference: str) -> str | None:
    """ "abc 12d" -> "ABC12D"; None when it cannot be a booking reference."""
    if not isinstance(reference, str):
        return None
    ref = "".join(reference.split()).upper()
    return ref if _REF_RE.match(ref) else None


def normalise_flight_number(flight_number: str, default_carrier: str = "KL") -> str | None:
    """ "kl 0641" -> "KL641", "1001" -> "KL1001"; None when it cannot be a flight number."""
    if not isinstance(flight_number, str):
        return None
    text = "".join(flight_number.split()).upper()
    if text.isdigit():
        text = default_carrier.upper() + text
    m = re.match(r"^([A-Z][A-Z0-9]|[0-9][A-Z])(\d{1,4})$", text)
    if not m:
        return None
    return f"{m.group(1)}{int(m.group(2))}"

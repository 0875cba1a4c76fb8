"""Class codes, resume codes and seat tokens: random, unguessable, and stored only as hashes where they are secrets.

A class code is said aloud in a room: 8 letters and digits from an alphabet without look-alikes (0/O, 1/I/L),
about 40 bits. A resume code is a student's own key to their progress: 12 characters, about 59 bits, kept on the
server only as a salted, slow hash. A seat token keeps a browser signed in across reloads: 256 bits, hashed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from functools import lru_cache

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CLASS_CODE_CHARS = 8
RESUME_CODE_CHARS = 12
#: The longest display name a student may choose.
MAX_NAME_CHARS = 40
#: The longest comparison form of a name the database keeps (`students.name_key`).
MAX_NAME_KEY_CHARS = 200
_HASH_ROUNDS = 60_000
# invisible characters that reorder or hide text (bidirectional overrides and isolates, line separators)
_SPOOFING = {"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
             "\u2028", "\u2029", "\u200e", "\u200f", "\u061c", "\ufeff"}


class NameRefused(ValueError):
    """A display name or code that cannot be used; the message says why, in words for a student."""


def _grouped(chars: str) -> str:
    return "-".join(chars[i:i + 4] for i in range(0, len(chars), 4))


def new_class_code() -> str:
    """A fresh random class code, like `K7QM-3XPA`."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(CLASS_CODE_CHARS)))


def new_resume_code() -> str:
    """A fresh random resume code, like `HX4R-9QTM-2KCA`."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(RESUME_CODE_CHARS)))


def new_seat_token() -> str:
    """A fresh random token that keeps one browser signed in to its seat."""
    return secrets.token_urlsafe(32)


def clean_code(text: str, length: int) -> str:
    """A typed code in its stored form (upper case, grouped by 4); raises `NameRefused` when it cannot be one."""
    chars = "".join(ch for ch in str(text).upper() if not ch.isspace() and ch != "-")
    if len(chars) != length or any(ch not in ALPHABET for ch in chars):
        raise NameRefused(f"A code has {length} letters and digits, like {_grouped('K7QM3XPA2KCA'[:length])}; "
                          "check it for typos.")
    return _grouped(chars)


def clean_name(text: str) -> str:
    """A display name as stored (NFC, trimmed); raises `NameRefused` for an empty, too long or spoofing name."""
    name = unicodedata.normalize("NFC", str(text)).strip()
    if not name:
        raise NameRefused("Type a name the class will know you by.")
    if len(name) > MAX_NAME_CHARS:
        raise NameRefused(f"Names have at most {MAX_NAME_CHARS} characters; this one has {len(name):,}.")
    if any(unicodedata.category(ch) == "Cc" or ch in _SPOOFING for ch in name):
        raise NameRefused("This name holds invisible control characters; type it again without them.")
    if len(name_key(name)) > MAX_NAME_KEY_CHARS:  # a few characters expand a lot when compared (ﷺ → 18)
        raise NameRefused("This name is too long once its characters are spelled out; choose a shorter one.")
    return name


def name_key(name: str) -> str:
    """The form in which two names count as the same in one class (case and spacing ignored)."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def hash_secret(code: str, salt: str | None = None) -> str:
    """A resume code's salted, slow hash as `salt$hex` (the code itself is never stored)."""
    salt = salt or secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", code.encode(), bytes.fromhex(salt), _HASH_ROUNDS).hex()
    return f"{salt}${digest}"


def secret_matches(code: str, stored: str) -> bool:
    """Whether `code` is the resume code whose hash is `stored` (compared in constant time)."""
    salt, _, _ = stored.partition("$")
    try:
        return hmac.compare_digest(hash_secret(code, salt), stored)
    except ValueError:
        return False


@lru_cache(maxsize=1)
def decoy_hash() -> str:
    """The hash an unknown name is checked against, so a refusal takes as long as for a known name's wrong code."""
    return hash_secret(new_resume_code())


def token_hash(token: str) -> str:
    """A seat token's hash (tokens are long and random: one SHA-256 is enough)."""
    return hashlib.sha256(token.encode()).hexdigest()

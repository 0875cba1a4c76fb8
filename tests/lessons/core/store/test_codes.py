"""Class codes and display names: codes are unique and easy to type, names are refused in words when they cannot
be shown safely, and any other name (quotes, SQL, emoji, right-to-left scripts) comes back exactly as typed."""

from __future__ import annotations

import re

import pytest

from lessons.core.store import codes
from lessons.core.store.codes import ALPHABET, NameRefused, clean_code, clean_name, name_key

CLASS_CODE = re.compile(rf"^[{ALPHABET}]{{4}}-[{ALPHABET}]{{4}}$")

STRANGE_NAMES = [
    "O'Brien",
    'Dwayne "The Rock"',
    "Robert'); DROP TABLE students;--",
    "x' OR '1'='1",
    "100% _sure_ \\ back",
    "<script>alert(1)</script>",
    "👩‍🔬 Marie",  # a ZWJ sequence: woman + zero-width joiner + microscope
    "🏳️‍🌈👨‍👩‍👧‍👦",
    "مريم الأحمد",  # Arabic
    "שרה כהן",  # Hebrew
    "Zoë Ñúñez",
    "李小龍",
]


def test_class_codes_are_unique_and_drawn_from_the_alphabet():
    drawn = [codes.new_class_code() for _ in range(2000)]
    assert len(set(drawn)) == len(drawn)
    assert all(CLASS_CODE.match(code) for code in drawn)
    assert set("".join(drawn).replace("-", "")) <= set(ALPHABET)
    assert not set("01OIL") & set(ALPHABET)  # no look-alikes to misread aloud


def test_resume_codes_and_seat_tokens_are_long_and_distinct():
    resume = [codes.new_resume_code() for _ in range(500)]
    assert len(set(resume)) == 500
    assert all(re.fullmatch(rf"([{ALPHABET}]{{4}}-){{2}}[{ALPHABET}]{{4}}", code) for code in resume)
    tokens = {codes.new_seat_token() for _ in range(500)}
    assert len(tokens) == 500 and min(len(t) for t in tokens) >= 43


@pytest.mark.parametrize("typed", ["k7qm-3xpa", "K7QM3XPA", " k7qm 3xpa ", "k 7 q m - 3 x p a", "\tK7QM-3xpa\n"])
def test_typed_class_codes_are_accepted_in_any_case_and_spacing(typed):
    assert clean_code(typed, codes.CLASS_CODE_CHARS) == "K7QM-3XPA"


@pytest.mark.parametrize("typed", ["", "K7QM-3XP", "K7QM-3XPAA", "K7QM-3XP0", "K7QM-3XPO", "K7QM;3XPA", "ÄÄÄÄ-ÄÄÄÄ"])
def test_malformed_codes_are_refused_in_words(typed):
    with pytest.raises(NameRefused, match="A code has 8 letters and digits"):
        clean_code(typed, codes.CLASS_CODE_CHARS)


def test_typed_codes_join_the_class(store):
    code = store.create_class("Typing")
    seat, _ = store.join(" " + code.lower().replace("-", " ") + " ", "Ann")
    assert seat.class_code == code


@pytest.mark.parametrize("name, words", [
    ("", "Type a name"),
    ("   \t ", "Type a name"),
    ("a" * 41, "at most 40 characters; this one has 41"),
    ("x" * 10_000, "at most 40 characters; this one has 10,000"),
    ("Ann\x00", "invisible control characters"),
    ("Ann\nLee", "invisible control characters"),
    ("Ann\x1b[31mLee", "invisible control characters"),
    ("Ann\x7f", "invisible control characters"),
    ("evil\u202egnp.exe", "invisible control characters"),  # right-to-left override
    ("\u2066Ann\u2069", "invisible control characters"),  # left-to-right isolate
    ("Ann\u200fLee", "invisible control characters"),  # right-to-left mark
    ("Ann\u2028Lee", "invisible control characters"),  # line separator
])
def test_names_that_cannot_be_shown_safely_are_refused_in_words(name, words):
    with pytest.raises(NameRefused, match=re.escape(words)):
        clean_name(name)


def test_a_name_of_exactly_40_characters_is_kept():
    assert clean_name("  " + "é" * 40 + " ") == "é" * 40


def test_refused_names_store_nothing(store):
    code = store.create_class("Refusals")
    for name in ("", "x" * 10_000, "evil\u202eexe", "a\x00b"):
        with pytest.raises(NameRefused):
            store.join(code, name)
    assert store.class_data(code).students == []


@pytest.mark.parametrize("name", STRANGE_NAMES)
def test_strange_names_are_stored_and_read_back_byte_identical(store, name):
    assert clean_name(name) == name
    code = store.create_class("Strange names")
    seat, resume = store.join(code, name)
    assert seat.name.encode() == name.encode()
    assert [s.name.encode() for s in store.class_data(code).students] == [name.encode()]
    assert store.rejoin(code, name, resume).name.encode() == name.encode()
    assert store.seat_of_token(store.open_seat(seat)).name.encode() == name.encode()


def test_a_name_differing_only_in_case_or_spacing_is_refused_in_the_same_class(store):
    code = store.create_class("Case")
    store.join(code, "Ann Lee")
    for twin in ("ann lee", "ANN LEE", "  Ann   Lee ", "ＡＮＮ ＬＥＥ"):  # the last in full-width letters
        with pytest.raises(NameRefused, match="already uses the name"):
            store.join(code, twin)
    assert len(store.class_data(code).students) == 1


def test_the_same_name_is_allowed_in_another_class(store):
    first, second = store.create_class("One"), store.create_class("Two")
    one, _ = store.join(first, "Ann Lee")
    two, _ = store.join(second, "ANN LEE")
    assert one.student_id != two.student_id
    assert [s.name for s in store.class_data(second).students] == ["ANN LEE"]


def test_name_keys_ignore_case_width_and_spacing():
    assert name_key("  Ann \t LEE ") == name_key("ann lee") == name_key("ＡＮＮ ＬＥＥ") == "ann lee"
    assert name_key("Straße") == name_key("STRASSE")
    assert name_key("Ann") != name_key("Anne")

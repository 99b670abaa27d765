"""The part of the day a passenger asks for, in their words."""

from __future__ import annotations

import pytest

from bot.dialogue.time_of_day import AFTERNOON, EVENING, MORNING, time_window


@pytest.mark.parametrize(("text", "window"), [
    ("rebook me to saturday evening after 6pm", (18, 24)),
    ("auf Freitag abends umbuchen", EVENING),
    ("tomorrow afternoon please", AFTERNOON),
    ("por la mañana", MORNING),
    ("na 18 uur", (18, 24)),
    ("before 10am", (0, 10)),
    ("le soir", EVENING),
    ("вечером", EVENING),
    ("晚上的航班", EVENING),
    ("auf Samstagabend umbuchen", EVENING),
    ("naar zaterdagavond", EVENING),
    ("Freitagnachmittag", AFTERNOON),
])
def test_the_part_of_the_day(text: str, window: tuple[int, int]) -> None:
    assert time_window(text) == window


@pytest.mark.parametrize("text", ["morgen", "mañana", "i morgen", "¿será posible?", "flight KL1234 to Vienna"])
def test_tomorrow_and_other_words_are_no_part_of_the_day(text: str) -> None:
    assert time_window(text) is None

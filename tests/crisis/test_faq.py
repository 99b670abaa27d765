"""Matching a passenger's question to the running playbook's FAQ, across languages and paraphrases."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.crisis.faq import FaqIndex
from bot.crisis.mode import CrisisContext, CrisisMode
from tests.crisis.conftest import NOW, settings

# paraphrases written for this test, not copied from the question variants
PARAPHRASES = [
    ("fr", "Est-ce que les frais de changement sont supprimés ?", "change_fees"),
    ("fr", "Dois-je payer des frais pour modifier mon billet ?", "change_fees"),
    ("fr", "est ce que je peux me faire rembourser", "refund"),
    ("en", "will I have to pay anything to move my flight", "change_fees"),
    ("en", "do you cover hotel costs", "care"),
    ("en", "when does the airport open again", "when_resume"),
    ("de", "Fallen Umbuchungsgebühren an?", "change_fees"),
    ("de", "Gibt es eine Entschädigung?", "compensation"),
    ("de", "hallo, gibt es probleme wegen der vulkanasche in frankfurt?", "my_flight"),
    ("nl", "kost omboeken iets?", "change_fees"),
    ("es", "¿me devuelven el dinero?", "refund"),
    ("it", "posso cambiare volo senza pagare?", "change_fees"),
    ("pl", "czy dostanę odszkodowanie", "compensation"),
    ("ja", "変更手数料はかかりますか", "change_fees"),
    ("zh", "改签要收费吗", "change_fees"),
    ("ru", "надо ли платить за перебронирование?", "change_fees"),
    ("tr", "bilet değişikliği ücretli mi", "change_fees"),
    ("sv", "kostar det något att boka om", "change_fees"),
]
NOT_FAQ = [("en", "thanks"), ("en", "KL1234"), ("en", "my bag is lost"), ("fr", "bonjour"),
           ("en", "I want to rebook my flight")]


@pytest.mark.parametrize(("language", "text", "expected"), PARAPHRASES)
def test_paraphrases_in_every_language_find_their_entry(playbooks, language, text, expected):
    match = FaqIndex(playbooks, playbooks.get("volcanic-ash")).match(text, language)
    assert match is not None and match.entry.id == expected, (match.entry.id if match else None, text)


def _context(playbooks) -> CrisisContext:
    from bot.crisis.manager import CrisisManager
    from bot.crisis.mode import ActiveCrisis
    from bot.crisis.params import resolve

    s = settings()
    mode = CrisisMode(None, s, playbooks, None, CrisisManager(None, s, playbooks))  # type: ignore[arg-type]
    pb = playbooks.get("volcanic-ash")
    params = resolve(pb, {"airports": "AMS,CDG", "until": "+1d"}, now=NOW)
    crisis = ActiveCrisis("c1", pb, params, NOW, NOW + dt.timedelta(hours=2), mode.manager.scope(pb, params, NOW),
                          mode.manager.waiver("c1", pb, params, NOW))
    return CrisisContext(mode, [crisis])


def test_answers_come_in_the_passengers_language_and_only_for_questions(playbooks):
    ctx = _context(playbooks)
    for language, text, expected in PARAPHRASES:
        ans = ctx.answer(text, language, intent="crisis_info", confident=True, now=NOW)
        assert ans is not None and ans.entry_id == expected
        assert ans.text == ctx.faq_text(expected, language, NOW) and "$" not in ans.text
    fr = ctx.answer("Est-ce que les frais de changement sont supprimés ?", "fr", intent="out_of_scope",
                    confident=False, now=NOW)
    assert fr is not None and fr.text.startswith("Oui. Si votre vol dessert Amsterdam (AMS), Paris (CDG)")
    for language, text in NOT_FAQ:
        intent = "rebook" if "rebook" in text else "out_of_scope"
        assert ctx.answer(text, language, intent=intent, confident=intent == "rebook", now=NOW) is None, text
    # "Can I rebook for free?" is a question about the fee, although it reads like a rebooking
    ans = ctx.answer("Can I rebook for free?", "en", intent="rebook", confident=True, now=NOW)
    assert ans is not None and ans.entry_id == "change_fees"

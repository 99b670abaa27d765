"""Personal data never reaches the logs in clear text."""

from __future__ import annotations

import io
import json
import logging

import structlog

from bot.logging import configure_logging, fingerprint


def capture(**event: object) -> dict:
    buf = io.StringIO()
    configure_logging("INFO", json=True, stream=buf)
    structlog.get_logger("t").info("booking_verified", **event)
    return json.loads(buf.getvalue().strip().splitlines()[-1])


def test_standard_library_logs_are_redacted_too():
    buf = io.StringIO()
    configure_logging("INFO", json=True, stream=buf)
    logging.getLogger("bot.reservations").info("booking %s changed for %s", "X7K2PQ", "jan@example.nl")
    out = json.loads(buf.getvalue().strip().splitlines()[-1])
    assert out["event"] == "booking <code> changed for <email>"
    assert out["timestamp"].startswith("20")  # timestamps are not mistaken for phone numbers


def test_sensitive_fields_are_hashed():
    out = capture(reference="X7K2PQ", last_name="Müller", email="a.muller@example.com", channel="rest")
    blob = json.dumps(out, ensure_ascii=False)
    for secret in ("X7K2PQ", "Müller", "a.muller@example.com"):
        assert secret not in blob
    assert out["reference"] == fingerprint("X7K2PQ")  # stable: the same code can be followed across lines
    assert out["channel"] == "rest"


def test_codes_emails_and_phones_inside_free_text_are_masked():
    out = capture(error="lookup failed for HB4TZM of jan@example.nl, call +31 20 123 4567")
    assert out["error"] == "lookup failed for <code> of <email>, call <phone>"


def test_plain_words_are_left_alone():
    out = capture(detail="REBOOK flight tomorrow")
    assert out["detail"] == "REBOOK flight tomorrow"


def test_tracebacks_are_redacted_after_they_are_rendered():
    """The exception text (and the source lines) are masked too: redaction runs after format_exc_info."""
    buf = io.StringIO()
    configure_logging("INFO", json=True, stream=buf)
    try:
        raise RuntimeError("lookup of HB4TZM for jan@example.nl failed, call +31 20 123 4567")
    except RuntimeError:
        structlog.get_logger("t").exception("adapter_failed")
    try:
        raise ValueError("bad value X7K2PQ")
    except ValueError:
        logging.getLogger("bot.x").exception("stdlib too")
    lines = [json.loads(line) for line in buf.getvalue().strip().splitlines()]
    assert "Traceback" in lines[0]["exception"] and "Traceback" in lines[1]["exception"]
    blob = buf.getvalue()
    for secret in ("HB4TZM", "jan@example.nl", "123 4567", "X7K2PQ"):
        assert secret not in blob


def test_values_met_in_the_turn_are_masked_in_any_case_and_nested_fields():
    from bot.privacy import forget, remember

    forget()
    remember("Vandersloot", "kq7zx2")
    out = capture(error="PSS said: no VANDERSLOOT for KQ7ZX2", context={"detail": ["vandersloot"], "ok": "Vander"})
    assert out["error"] == "PSS said: no <personal> for <personal>"
    assert out["context"] == {"detail": ["<personal>"], "ok": "Vander"}
    forget()
    assert capture(note="Vandersloot")["note"] == "Vandersloot"  # a new turn: no longer known


def test_database_error_texts_lose_their_values():
    from bot.privacy import scrub

    pg = ('null value in column "actor" violates not-null constraint\nDETAIL:  Failing row contains (7, {"n": "Li"}).'
          '\nKey (sender_id)=(Vandersloot) already exists.\n'
          "invalid input for query argument $3: 'Vandersloot' (expected str)\n"
          "[SQL: INSERT INTO x VALUES (?)]\n[parameters: ('Vandersloot', 'kq7zx2')]")
    out = scrub(pg)
    assert "Vandersloot" not in out and "Li" not in out and "kq7zx2" not in out
    assert "not-null constraint" in out and "INSERT INTO x" in out


def test_fingerprints_are_stable_and_not_hashed_twice():
    assert fingerprint("x7k2pq") == fingerprint("X7K2PQ")
    assert fingerprint(fingerprint("X7K2PQ")) == fingerprint("X7K2PQ")


def test_audit_details_are_redacted_like_log_lines():
    from bot.privacy import forget, redact, remember

    forget()
    remember("QWERTY")  # an all-letter reference: only known values catch it
    out = redact({"reason": "angry", "summary": "reason=angry; booking=QWERTY; flows=rebook@choose",
                  "reference": "QWERTY", "last_name": "Jansen", "n": 3})
    forget()
    assert out["summary"] == "reason=angry; booking=<personal>; flows=rebook@choose"
    assert out["reference"] == fingerprint("QWERTY") and out["last_name"] == fingerprint("Jansen")
    assert out["n"] == 3 and out["reason"] == "angry"

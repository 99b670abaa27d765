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

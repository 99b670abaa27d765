"""Prometheus metrics (served at /metrics)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

MESSAGES_IN = Counter("crisisbot_messages_received_total", "Inbound messages", ["channel"])
DUPLICATES = Counter("crisisbot_messages_duplicate_total", "Inbound messages seen before (deduplicated)", ["channel"])
REPLIES = Counter("crisisbot_replies_total", "Replies written to the outbox", ["channel"])
INTENTS = Counter("crisisbot_intents_total", "Parsed intents", ["intent"])
HANDOFFS = Counter("crisisbot_handoffs_total", "Conversations handed to a human", ["reason"])
BOOKING_CHANGES = Counter(
    "crisisbot_booking_changes_total", "Booking changes executed (rebook, cancel) by outcome (done, replay)",
    ["change", "channel", "language", "outcome"],
)
NLU_FALLBACKS = Counter("crisisbot_nlu_fallbacks_total", "Messages the NLU could not classify", ["language"])
UNSUPPORTED_LANGUAGE = Counter(
    "crisisbot_unsupported_language_total", "Messages in a language the bot does not speak (flagged)", ["language"]
)
RECOVERED = Counter(
    "crisisbot_messages_recovered_total", "Inbound messages processed by recovery (their process died or gave up)"
)
OUTBOX_SENT = Counter("crisisbot_outbox_sent_total", "Outbox items delivered", ["channel"])
OUTBOX_RETRIES = Counter("crisisbot_outbox_retries_total", "Outbox send attempts that will be retried", ["channel"])
OUTBOX_FAILED = Counter(
    "crisisbot_outbox_failed_total", "Outbox items the platform refused for good (e.g. bot blocked)", ["channel"]
)
OUTBOX_PENDING = Gauge("crisisbot_outbox_pending", "Outbox items not yet delivered", multiprocess_mode="mostrecent")
NLU_SECONDS = Histogram(
    "crisisbot_nlu_parse_seconds", "NLU parse time", buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)
)
TURN_SECONDS = Histogram(
    "crisisbot_turn_seconds", "Inbound message to stored reply",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5),
)
LEADER = Gauge(
    "crisisbot_leader", "1 in the process that runs the once-per-deployment services", multiprocess_mode="max"
)
AUTH_FAILURES = Counter("crisisbot_auth_failures_total", "Failed booking verifications (wrong reference or name)")
AUTH_LOCKS = Counter(
    "crisisbot_auth_locks_total", "Verification locks started (per booking reference or client address)", ["scope"]
)
AUTH_REFUSED = Counter("crisisbot_auth_refused_total", "Verifications refused because of a lock", ["scope"])

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

# handoff cases (bot/cases): transitions where they happen; queue and SLA figures refreshed by the SLA monitor
CASE_TRANSITIONS = Counter("crisisbot_case_transitions_total", "Handoff cases entering a state", ["state"])
CASE_ESCALATIONS = Counter("crisisbot_case_escalations_total", "Cases escalated by the SLA monitor", ["sla"])
CASES_QUEUED = Gauge("crisisbot_cases_queued", "Cases waiting for a person, per language", ["language"],
                     multiprocess_mode="mostrecent")
CASES_PAST_SLA = Gauge("crisisbot_cases_past_sla", "Open cases without a first human response past their SLA",
                       multiprocess_mode="mostrecent")
CASE_FIRST_RESPONSE = Gauge(
    "crisisbot_case_first_response_seconds", "Time from handoff to the first human response (cases answered in the "
    "last 24 hours)", ["quantile"], multiprocess_mode="mostrecent",
)
CASE_SLA_COMPLIANCE = Gauge(
    "crisisbot_case_sla_compliance_ratio", "Share of cases answered in the last 24 hours within their first-response "
    "SLA", multiprocess_mode="mostrecent",
)

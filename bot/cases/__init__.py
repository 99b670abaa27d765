"""Handoff cases: a conversation handed to a person, with everything the agent needs, never a dead end.

A handoff (the dialogue's ``TurnResult.handoff``) opens a **case** in the same transaction as the turn: reason,
summary, language, needed skills, priority, the verified booking (as the dialogue state keeps it), the detected
intent and entities, what the bot offered and why it stopped (``context``), and where the transcript starts
(``first_message_id``; the transcript is the conversation's inbound messages and outbox).

States and the conversation's owner::

    queued  (owner "queued": the bot acknowledges every message with the queue position and expected wait)
      |  claim            -> claimed  (owner "agent": the bot says nothing; messages go to the agent)
      |  passenger "stop" / a new request -> returned (owner "bot"; a new request is served at once)
    claimed
      |  reply            -> an outbox row on the passenger's channel, signed with the agent's first name
      |  release          -> queued   (also the SLA monitor, when a claim stays unanswered too long)
      |  resolve          -> resolved (owner "bot")
      |  return           -> returned (owner "bot"; the passenger is told the bot has them again)

Every transition is an audit row (actor ``agent:<name>``, ``passenger``, ``bot`` or ``system:sla``; details hold the
case id and states, never personal data). Exactly one agent can claim a case: the claim is a conditional update
(``state = 'queued'``) after taking the conversation row, on SQLite and PostgreSQL alike.

Framework-neutral API (the CLI ``crisisbot cases ...`` and the Slack channel call the same)::

    desk = CaseDesk(store, settings)                     # runtime.cases in a running bot
    await desk.list_cases(states=("queued",), language="nl", skill="refunds", agent=None, limit=100)
    await desk.get(case_id, transcript=True)             # CaseView (.to_dict() is JSON-able)
    await desk.claim(case_id, agent)                     # CaseConflict if someone else has it
    await desk.reply(case_id, agent, text)               # must own it (claim first)
    await desk.release(case_id, agent)                   # back to the queue
    await desk.resolve(case_id, agent)                   # closes it; the bot takes over again
    await desk.return_to_bot(case_id, agent)             # closes it unresolved; the passenger is told
    await desk.set_crisis_impact(case_id, affected=True, crisis_id="...")   # from the crisis playbooks
    desk.card(view)                                      # plain data for a card: title, fields, actions
    await desk.sweep()                                   # one SLA-monitor round (bot/services/sla.py runs it)

Errors: ``bot.errors.CaseNotFound``, ``CaseConflict`` (with a sentence for the agent: who has the case),
``BadRequest`` (an empty reply, no agent name).

Slack (when ``CRISISBOT_SLACK__BOT_TOKEN`` is set): a new case writes an outbox row ``channel="slack"``,
``recipient_id`` = the queue channel (``CRISISBOT_CASES__SLACK_QUEUES`` by ``skill:<skill>`` or language, else
``CRISISBOT_SLACK__QUEUE_CHANNEL``), ``payload = {"kind": "case_card", "case_id", "card", "text"}``. Later events of
that case are rows to the same channel with ``payload.kind`` ``case_message`` (the passenger wrote: ``text``),
``case_claimed``, ``case_released``, ``case_closed``, each with ``case_id`` and ``card_outbox_id`` (the card's
outbox row: its ``platform_message_id`` is the thread to post in). SLA escalations go to
``CRISISBOT_SLACK__ESCALATION_CHANNEL`` with kind ``case_escalation``. None of these rows is part of the
passenger's transcript (``visible`` false).

Agent replies are outbox rows on the passenger's channel (author ``agent:<name>``, payload kind ``agent`` with
``agent_name``): push channels get them from the outbox dispatcher, the web chat when it polls, REST passengers in
the response to their next message.
"""

from bot.cases.desk import CaseDesk, CaseView, PassengerTurn, SweepResult

__all__ = ["CaseDesk", "CaseView", "PassengerTurn", "SweepResult"]

"""Long-running work owned by the Runtime: the outbox dispatcher, recovery, the handoff desk, crisis schedulers.

Each is a ``Service`` (``start()`` / ``stop()``). Services marked ``singleton`` run once per deployment: only in
the process that holds the leader lease (``bot.services.leader``), however many workers and hosts serve.
"""

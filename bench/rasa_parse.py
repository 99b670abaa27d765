"""Parse stdin lines with a trained Rasa 3.x NLU model and print one JSON parse per line (Rasa's own output shape).

Runs under a Python that has Rasa (Rasa 3.6 needs Python 3.8-3.10, so not the project's virtualenv), e.g.:

    python3.10 -m venv /tmp/rasa-venv && /tmp/rasa-venv/bin/pip install 'rasa==3.6.*'
    /tmp/rasa-venv/bin/rasa train nlu --nlu intents/en.yml --config docs/rasa/config-en.yml --out /tmp/rasa-models \\
        --fixed-model-name en
    python bench/nlu_asks.py --rasa-python /tmp/rasa-venv/bin/python --rasa-model /tmp/rasa-models/en.tar.gz

bench/nlu_asks.py calls this script; it scores Rasa's parses exactly as it scores `crisisbot nlu parse`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys


def main() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent

    agent = Agent.load(sys.argv[1])

    async def run() -> None:
        for line in sys.stdin:
            parse = await agent.parse_message(line.rstrip("\n"))
            out = {"intent": parse.get("intent") or {"name": None, "confidence": 0.0},
                   "intent_ranking": parse.get("intent_ranking", [])[:5], "language": "en"}
            sys.stdout.write(json.dumps(out, default=float) + "\n")

    asyncio.run(run())


if __name__ == "__main__":
    main()

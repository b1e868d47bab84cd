"""Routing rules (issue 21, docs/routing.md): which team and member a finished voicemail goes to.

``spec`` checks rules as people write them (YAML, the API, `voice routing add`); ``rules`` evaluates them
against a triage card and the call's facts, pure, returning a ``Decision``; ``route`` reads what the rules
need from the database and writes a decision onto a voicemail, in the transaction that ends its processing.
"""

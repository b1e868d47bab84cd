"""Acknowledgements to callers (docs/acknowledgements.md): who gets one (eligibility.py), when it may go
(hours.py), what it says (templates.py, callback_time.py), and the outbox row written with the voicemail's
result (enqueue.py); sent by voice/integrations/acks.py."""

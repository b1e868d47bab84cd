"""Helpers for the tests: speech clips, audio encoding, local HTTP servers, real services, a real
`voice serve`, seeded rows and the app in process. Fixtures stay in tests/conftest.py."""

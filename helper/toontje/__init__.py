"""Toontje: tells a webcare agent, before posting, whether a reply would escalate a public thread."""

__version__ = "0.1.0"
LANGUAGES = ("nl", "en")

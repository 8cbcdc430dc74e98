"""Moderation board: a self-hosted, real-time workshop moderation board."""

__version__ = "0.1.0"

"""Shared pytest setup. Area fixtures live in each tests/<area>/conftest.py; the real-audio
harness (virtual sound card) lives in tests/support/ so every area can use it."""

"""Tests that play attacks on duckfix: hostile task folders, programs, patches and repositories."""

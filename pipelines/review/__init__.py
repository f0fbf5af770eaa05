"""The review pipeline: parse a patch, gather context, run checks per file, merge, render.

Importing this package is cheap on purpose: the pre-push hook's no-model path
calls the same check functions the graph's nodes call, without importing
LangGraph or the model client (``graph`` imports them; nothing here does).
"""

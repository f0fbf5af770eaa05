"""The dataset builder: validated buggy / bug-free pairs made from correct programs.

``categories`` names the bug categories, ``mutants`` the span edits that inject
them, ``py_mutators`` / ``c_mutators`` / ``pragma_mutators`` enumerate
candidate mutants, ``llm_injector`` asks a model for more, ``validate`` keeps
the ones that really are bugs, and ``build`` writes task folders, ``pairs.jsonl``
and a summary.
"""

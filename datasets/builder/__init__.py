"""The dataset builder: validated buggy / bug-free pairs made from correct programs.

``categories`` names the bug categories (the Chrysalis codes with the Chrysalis
dataset's meanings, and ours), ``mutants`` the span edits that inject them,
``py_mutators`` / ``c_mutators`` / ``pragma_mutators`` (with ``pragma_interface``
and ``pragma_edits``) enumerate candidate mutants, ``llm_injector`` asks a model
for more, ``validate`` keeps the ones that really are bugs, and ``build`` writes
task folders, ``pairs.jsonl`` and a summary.

The mutators rest on a few readers: ``py_scopes`` (a Python program's bindings),
``c_syntax`` (tree-sitter-cpp, shared by the C and pragma mutators and ``validate``),
``c_context`` and ``c_chrysalis`` (the C mutators' picture of a file, and the
Chrysalis logic categories with our own near them), ``hls_model`` and
``hls_access`` (an HLS file's functions, loops and pragmas, and how it accesses its
arrays).
"""

"""Tasks: the folder format, suite loaders, our own suites, the pair builder."""

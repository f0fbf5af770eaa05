"""The agents: localizer, fixer, explainer, reviewer (filled in by the debug pipeline work)."""

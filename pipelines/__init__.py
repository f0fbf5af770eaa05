"""The LangGraph workflows: debug, review, bench."""

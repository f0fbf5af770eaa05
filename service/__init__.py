"""What users touch: the CLI, the HTTP API, the pre-push hook, the mail bot."""

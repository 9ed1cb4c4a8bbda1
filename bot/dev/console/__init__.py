"""`python -m bot console`: the real app, the sandbox platform and SQLite behind a terminal that
plays Slack's part (render: stand-in records → text; forms: modal inputs → prompts; app: the
driver)."""

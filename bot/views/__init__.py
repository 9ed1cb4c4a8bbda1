"""Block Kit builders: pure functions from our state to slack_sdk model objects."""

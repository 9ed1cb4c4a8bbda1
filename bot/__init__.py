"""Santo for Slack: the Santo international SMS platform inside Slack."""

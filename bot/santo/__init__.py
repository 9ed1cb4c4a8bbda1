"""Everything that speaks the Santo platform's HTTP API (docs/platform.md)."""

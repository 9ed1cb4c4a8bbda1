"""Everything that speaks the Santo platform's HTTP API (see shared/spec)."""

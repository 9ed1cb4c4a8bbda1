"""The stats chart: what it shows (`data`), how it is drawn in the worker process (`draw`),
and how it reaches Slack (`publish`)."""

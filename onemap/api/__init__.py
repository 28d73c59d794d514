"""Web shell (FastAPI): the only place that knows HTTP."""

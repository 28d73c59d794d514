"""Routers, one per concern; each is a thin shell over the domain core."""

"""成果共享: the domain side of the standard services (features, tiles, processes, records).

Nothing here knows HTTP; ``onemap.api`` turns these functions into OGC API endpoints.
"""

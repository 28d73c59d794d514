"""Command-line shell (typer) over the domain core."""

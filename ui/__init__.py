"""Surfaces: the `briefs` command line, the HTTP API and the Gradio web chat."""

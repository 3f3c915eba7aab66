"""Ingest: files in, cleaned and chunked briefs written to the brief store."""

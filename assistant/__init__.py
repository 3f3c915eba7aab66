"""Briefs Assistant core: settings, retrieval, answering and citation checks (framework-free)."""

"""Answering: understand the question (:mod:`~assistant.answering.understand`), then a strategy per kind — fact,
metadata, list, summary, compare — each a small module; :class:`~assistant.answering.pipeline.AnswerPipeline` routes
between them and is what the service calls.
"""

"""The eval suite: labelled questions in, retrieval / answer / citation / abstention metrics and reports out.

Modules by role: ``datasets`` (load and validate), ``index`` (isolated, cached index of a dataset's sources),
``metrics`` and ``attribution`` (scores), ``judge`` (optional LLM-as-judge), ``run`` (the loop),
``report`` (JSON, Markdown, HTML) and ``compare`` (the regression gate).

Never ``import eval`` (it shadows the builtin); import the modules:

>>> from eval import datasets, run                                              # doctest: +SKIP
>>> result = run.evaluate(datasets.load_dataset("eval/datasets/gold.jsonl"))    # doctest: +SKIP
>>> result.metrics["hit_at_k"]["score"]                                         # doctest: +SKIP
"""

"""General document understanding over the document model (``ingest.model``): the numbering
grammar and the section tree, label:value grammar, municipality names, phase words, the step
classifier, and numbered items with labelled fields. Pure analysis: these modules import only
``kb.core`` and ``ingest.model``; records are built by ``ingest.report`` from what they find."""

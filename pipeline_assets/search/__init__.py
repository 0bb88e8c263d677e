"""Semantic search over what users search for: the day's queries, their embeddings, a vector
index over every day, weekly themes, and the ``pipeline-assets search`` command.

Pure logic (`text`, `themes`, `nearest`, `report_section`) is kept apart from the embedding
backends (`embedders`, `http_embedder`) and from the Dagster wiring (`assets`, `resource`)."""

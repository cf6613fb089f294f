"""Workshop packs, city comparisons and charts built from the knowledge base."""

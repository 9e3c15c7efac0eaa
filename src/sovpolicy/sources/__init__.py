"""Input readers: one module per input kind, the only importer of its library."""

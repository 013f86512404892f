"""Readers of input formats beyond page text, JSON Lines and CSV, one module per format."""

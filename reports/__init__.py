"""Aggregation across replications, the terminal summary, and the files a run writes."""

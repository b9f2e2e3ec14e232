"""Statistical tests: the model against queueing theory within confidence intervals."""

"""reports/benefit."""

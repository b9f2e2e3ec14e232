"""Browser tests: pages and reports in headless Chromium."""

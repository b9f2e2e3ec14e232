"""Contract tests: the device message contract, the offline validator and conformance."""

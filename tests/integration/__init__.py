"""Integration tests: real brokers (Mosquitto, the embedded broker) and databases."""

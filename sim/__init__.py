"""The SimPy model of a welfare-technology response centre (*responssenter*).

Engine-facing code only: this package imports neither an MQTT client nor a terminal library.
"""

"""Device models, the message contract, the topic scheme and transports of vtsim.

- :mod:`devices.contract`: the catalog of device kinds and events (the single source of truth:
  message models, device classes and documentation are generated from it), message models,
  codec, topics, validation and conformance;
- :mod:`devices.models`: one class per device kind (:mod:`devices.models.kinds` maps each kind
  to its class);
- :mod:`devices.transport`: the in-process bus and the MQTT transport.

The package itself imports nothing, so that importing one of its modules costs only that
module and what it needs.
"""

"""The chair's side of the nursing station: status, events and presence over MQTT (docs/station.md)."""

"""The nursing station: every chair on one page, from the broker (docs/station.md).

Public face: `StationServer(config)`; `Board` (board.py) is its pure core.
"""

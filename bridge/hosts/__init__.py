"""Adapters for the hosts a musician runs: Ableton Live (AbletonOSC), REAPER, Max.

Each module turns one host's wire format into core values
(:class:`~bridge.core.tempo.TempoInfo`) and back; nothing here knows the daemon.
"""

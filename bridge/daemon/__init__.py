"""The daemon: OSC control surface, job queue, journal and host notifications.

Layers, each in its own module: :mod:`.osc_parse` (pure: messages to commands),
:mod:`.osc_io` (the UDP adapter), :mod:`.controller` (applies commands),
:mod:`.jobs` (queue and workers), :mod:`.journal` (sqlite, survives a crash),
:mod:`.service` (wires them: :class:`~bridge.daemon.service.Daemon`).
"""

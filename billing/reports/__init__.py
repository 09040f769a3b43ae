"""Reports: what regions pay and receive for out-of-county contacts, broken down the ways controllers ask.

Figures are read from rollups of the contacts (``models``), rebuilt set-based by ``refresh``; ``figures``
turns them into tables, ``charts`` draws them as SVG on the server, ``views`` and ``api`` serve them.
"""

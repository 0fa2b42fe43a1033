"""The network check's rules, without the peer: what the page and the server say to each other
(``protocol``), the statistics both sides apply to what they measure (``stats``, mirrored in
``static/js/network-stats.js`` and parity-tested under Node), and the signed record of the
server's own figures (``summary``), and the call quality they promise (``mos``).

Nothing here imports aiortc or Flask, so the judge (``preflight/checks/network.py``), the
benches and the tests can use these rules without starting a peer.
"""

"""Head office's decisions over a branch's events, apart from its SQL (`db.headoffice` stores what these decide).

`payload`: the wire form of an audit event. `secrets`: whether an event would leak a secret (by structure).
`rules`: parsing a batch, duplicates, the verified prefix, and which events are quarantined.
"""

"""The wire schemas: pydantic models of every success body the server sends.

Routes declare them as ``response_model`` and build their responses from them (so the
OpenAPI document and the bytes on the wire come from one definition); services that compute
a body return these objects. One module per domain, plus :mod:`.base` for the shared parts.
"""

"""Security building blocks of the local server, free of HTTP and storage.

* :mod:`.passwords`: argon2id hashing and the password-strength rule.
* :mod:`.tokens`: EdDSA access tokens, the JWKS, opaque refresh/magic-link/reset tokens.
* :mod:`.wallets`: Ethereum and Solana sign-in signatures and the nonce message.
* :mod:`.ratelimit`: the in-memory rate limiter.
* :mod:`.errors`: the error types, each with a machine ``code``.

Import from the submodules; this package imports nothing so that using one block never loads
the cryptography of the others.
"""

"""``/.well-known/jwks.json``: the public keys that verify access tokens (no API key), so a
backend can check tokens offline."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..http.deps import Ctx

router = APIRouter(tags=["keys"])


@router.get("/.well-known/jwks.json", summary="Access-token verification keys (JWKS)")
async def jwks(ctx: Ctx) -> JSONResponse:
    """``{"keys": [{kty: OKP, crv: Ed25519, x, kid, use: sig, alg: EdDSA}]}`` (raw JSON, the
    format JWT libraries read)."""
    return JSONResponse(ctx.signer.jwks(), headers={"Cache-Control": "public, max-age=300"})

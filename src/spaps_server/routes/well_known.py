"""``/.well-known/jwks.json``: the public keys that verify access tokens (no API key), so a
backend can check tokens offline."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..http.deps import Ctx
from ..schemas.base import wire_json
from ..schemas.keys import JwksOut

router = APIRouter(tags=["keys"])


@router.get(
    "/.well-known/jwks.json",
    summary="Access-token verification keys (JWKS)",
    response_model=JwksOut,
)
async def jwks(ctx: Ctx) -> JSONResponse:
    """``{"keys": [{kty: OKP, crv: Ed25519, x, kid, use: sig, alg: EdDSA}]}`` (raw JSON, the
    format JWT libraries read)."""
    keys = JwksOut.model_validate(ctx.signer.jwks())
    return JSONResponse(wire_json(keys), headers={"Cache-Control": "public, max-age=300"})

"""Who the caller is, as the token says: a quick check that a token from the provider works here."""

from fastapi import APIRouter
from pydantic import BaseModel

from ..auth.deps import CallerDep
from .responses import Kind, responses

router = APIRouter(tags=["auth"])


class Me(BaseModel):
    subject: str
    scopes: list[str]
    roles: list[str]


@router.get("/me", responses=responses(Kind.NO_DATABASE))
async def me(caller: CallerDep) -> Me:
    return Me(subject=caller.subject, scopes=sorted(caller.scopes), roles=sorted(caller.roles))

"""Path and query parameters shared by the routes, bounded like the columns behind them."""

from typing import Annotated

from fastapi import Path, Query

from ..schemas import MAX_ID, MAX_OFFSET, MAX_PAGE

ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
AccountId = Annotated[int, Path(ge=1, le=MAX_ID)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]

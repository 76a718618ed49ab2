"""What the async routes await: each function is its blocking twin in `sync_repository`, run on one
of the app's worker threads (see `threadpool`), so a database call never runs on the event loop."""

from . import sync_repository
from .db.threadpool import in_threadpool

create_item = in_threadpool(sync_repository.create_item)
create_items = in_threadpool(sync_repository.create_items)
get_item = in_threadpool(sync_repository.get_item)
list_items = in_threadpool(sync_repository.list_items)
update_item = in_threadpool(sync_repository.update_item)
delete_item = in_threadpool(sync_repository.delete_item)
create_account = in_threadpool(sync_repository.create_account)
get_account = in_threadpool(sync_repository.get_account)
transfer = in_threadpool(sync_repository.transfer)
list_transfers = in_threadpool(sync_repository.list_transfers)
